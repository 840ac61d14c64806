import type { TaskRunParams } from '../schemas/task.js';

/** How an outbound call to an agent failed. */
export type AgentCallFailure = 'timeout' | 'disconnected' | 'remote';

/** A failed call to an agent, in domain terms (the daemon maps transport errors to it). */
export class AgentCallError extends Error {
  constructor(
    readonly kind: AgentCallFailure,
    message: string,
    /** For 'remote': the agent's JSON-RPC error object. */
    readonly remote?: { code: number; message: string; data?: unknown },
  ) {
    super(message);
    this.name = 'AgentCallError';
  }
}

/** The pool's narrow view of one agent's connection. */
export interface AgentChannel {
  /** Send `task.run`; resolves with the agent's result, rejects with AgentCallError. */
  runTask(params: TaskRunParams, timeoutMs: number): Promise<unknown>;
  /** Send another request (message routing: `message.deliver`, `route.decide`); rejects with AgentCallError. */
  request(method: string, params: object, timeoutMs: number): Promise<unknown>;
  /** Send a notification (`task.cancel`). */
  notify(method: string, params: object): void;
  /** Close the connection (takeover, removal, despawn). */
  close(reason: string): void;
}
