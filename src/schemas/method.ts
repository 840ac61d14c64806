import type { z } from 'zod';

/** Connection roles. `admin` may call everything; `viewer` only reads; see docs/protocol.md for the matrix. */
export const ROLES = ['agent', 'viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The read-only methods a `viewer` (a dashboard or watcher that must not change anything) may call. */
export const VIEWER_METHODS: ReadonlySet<string> = new Set([
  'rpc.discover',
  'session.info',
  'coordination.state',
  'coordination.metrics',
  'pool.templates',
  'coordination.predictOverload',
  'coordination.alerts',
  'coordination.conflicts',
  'resource.list',
  'conversation.get',
  'conversation.list',
  'task.get',
  'task.list',
  'task.wait',
  'pool.status',
  'pool.isolationReport',
  'pool.scaling.policy.get',
  'pool.scaling.history',
  'agent.list',
  'agent.get',
  'events.subscribe',
  'events.unsubscribe',
]);

/** Whether a connection with `role` may call the method. */
export function mayCall(def: Pick<MethodDefinition, 'name' | 'roles'>, role: Role): boolean {
  return def.roles.includes(role) || (role === 'viewer' && VIEWER_METHODS.has(def.name));
}

/**
 * One RPC method: its name, who may call it, and the zod schemas of its params and result.
 * Handlers are registered with the definition itself, so a name can never drift from its params.
 */
export interface MethodDefinition<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType, N extends string = string> {
  readonly name: N;
  readonly summary: string;
  readonly roles: readonly Role[];
  readonly params: P;
  readonly result: R;
  /** Whether a call may be sent as a notification (no reply); otherwise notifications are ignored. */
  readonly notification?: boolean;
}

/** Declare a method (identity function that keeps the literal types, the name's too). */
export function defineMethod<P extends z.ZodType, R extends z.ZodType, const N extends string>(def: MethodDefinition<P, R, N>): MethodDefinition<P, R, N> {
  return def;
}

export type ParamsOf<M> = M extends MethodDefinition<infer P, z.ZodType, string> ? z.output<P> : never;
export type ResultOf<M> = M extends MethodDefinition<z.ZodType, infer R, string> ? z.input<R> : never;
/** What a caller sends: the params schema's input (fields with defaults may be left out). */
export type CallParamsOf<M> = M extends MethodDefinition<infer P, z.ZodType, string> ? z.input<P> : never;
