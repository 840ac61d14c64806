import { randomUUID } from 'node:crypto';
import { AppError, AppErrors, ProtocolErrors } from '../errors.js';
import type { Log } from '../log.js';
import { mayCall, type MethodDefinition, type ParamsOf, type ResultOf } from '../schemas/method.js';
import { classify, type RpcId } from './envelope.js';
import { invalidParamsData } from './param-issues.js';
import { RpcError, protocolError, type WireError } from './rpc-error.js';
import type { Session } from './session.js';
import type { RpcPeer } from './peer.js';
import type { FrameTiming } from './frame-timing.js';
import { systemClock, type Clock } from '../time/clock.js';
import { traceIdFrom } from './trace.js';
import { RequestContext } from './request-context.js';

export type { RequestContext };

export type Handler<M extends MethodDefinition> = (params: ParamsOf<M>, ctx: RequestContext) => ResultOf<M> | Promise<ResultOf<M>>;

/** Told about every finished call, for metrics. `method` is '<unknown>' for names we do not serve. */
export interface RpcObserver {
  onCall(method: string, outcome: string, seconds: number): void;
}

export interface RpcEngineOptions {
  /**
   * Largest batch accepted; a larger one is refused, none of it run, with an array of one Invalid Request.
   * @defaultValue 1000
   */
  maxBatch: number;
  /**
   * Check every result against its schema (tests turn this on; costs time on hot paths).
   * @defaultValue false
   */
  validateResults: boolean;
  /**
   * Calls one connection may have waiting on something at once (router.route, task.wait,
   * resource.acquire…); more are refused with TOO_MANY_PENDING until some finish.
   * @defaultValue 1000
   */
  maxPendingPerConnection?: number;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<Required<RpcEngineOptions>> = Object.freeze({
  maxBatch: 1000,
  validateResults: false,
  maxPendingPerConnection: 1000,
});

/** One JSON-RPC response object. */
type Reply = { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: WireError };

interface Registered {
  def: MethodDefinition;
  handler: (params: unknown, ctx: RequestContext) => unknown;
  onInvalidParams: ((params: unknown, ctx: RequestContext) => void) | undefined;
}

/** What a method may ask of the engine besides its handler. */
export interface RegisterOptions {
  /** Told of params that failed the method's schema (the call is answered -32602 all the same), e.g. to count them. */
  onInvalidParams?: (params: unknown, ctx: RequestContext) => void;
}

const UNKNOWN_METHOD = '<unknown>';

/**
 * The JSON-RPC 2.0 engine: parses frames, validates envelopes (§4–§5), runs batches (§6),
 * checks roles and params, and turns whatever a handler throws into a safe error (§5.1).
 * It knows no domain: methods are registered with their definitions. Dispatch is our own
 * (json-rpc-2.0's server is not spec-exact and costs a promise chain per call); a synchronous
 * handler is answered synchronously. Outbound requests go through RpcPeer's pending-request table.
 */
export class RpcEngine {
  private readonly methods = new Map<string, Registered>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Asynchronous calls still running, per connection. */
  private readonly pendingBySession = new WeakMap<Session, number>();
  private readonly maxPendingPerConnection: number;
  /** Times calls for the observer. @defaultValue systemClock */
  private readonly elapsed: () => number;

  constructor(
    private readonly deps: { log: Log & { isLevelEnabled?(level: string): boolean }; observer?: RpcObserver; clock?: Pick<Clock, 'elapsed'> },
    private readonly options: RpcEngineOptions,
  ) {
    this.maxPendingPerConnection = options.maxPendingPerConnection ?? DEFAULT_ENGINE_OPTIONS.maxPendingPerConnection;
    const clock = deps.clock ?? systemClock;
    this.elapsed = () => clock.elapsed();
  }

  /** Serve a method; the handler gets params already parsed by the definition's schema. Names `rpc.*` other than `rpc.discover` are reserved by the specification. */
  register<M extends MethodDefinition>(def: M, handler: Handler<M>, options: RegisterOptions = {}): void {
    if (this.methods.has(def.name)) throw new Error(`method ${def.name} registered twice`);
    if (def.name.startsWith('rpc.') && def.name !== 'rpc.discover') throw new Error(`method ${def.name}: names beginning with rpc. are reserved`);
    this.methods.set(def.name, { def, handler: handler as Registered['handler'], onInvalidParams: options.onInvalidParams });
  }

  /** The definitions of every served method, in registration order. */
  definitions(): MethodDefinition[] {
    return [...this.methods.values()].map((m) => m.def);
  }

  /** Calls still running. */
  pending(): number {
    return this.inFlight;
  }

  /** Resolves when no call is running. */
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Handle one text frame from a connection. Resolves with the reply text, or undefined when
   * nothing must be sent (notifications, responses to our own requests, all-notification batches).
   */
  handleText(text: string, session: Session & { peer: RpcPeer }, frame?: FrameTiming): string | undefined | Promise<string | undefined> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.PARSE_ERROR.code), 0);
      return JSON.stringify(errorResponse(null, protocolError('PARSE_ERROR').toJSON()));
    }
    if (!Array.isArray(message)) {
      const reply = this.handleOne(message, session, frame);
      return isPromise(reply) ? reply.then((r) => this.serialize(r, session)) : this.serialize(reply, session);
    }
    if (message.length === 0) {
      return JSON.stringify(errorResponse(null, protocolError('INVALID_REQUEST', { reason: 'empty batch' }).toJSON()));
    }
    if (message.length > this.options.maxBatch) {
      // Refused whole, without running any element; still an array, as every non-empty batch's reply is.
      return JSON.stringify([errorResponse(null, protocolError('INVALID_REQUEST', { reason: 'batch too large', maxBatch: this.options.maxBatch }).toJSON())]);
    }
    // §6: the elements run concurrently; the reply array holds one response per non-notification.
    return Promise.all(message.map((m) => this.handleOne(m, session, frame))).then((replies) => {
      const present = replies.filter((r): r is Reply => r !== undefined);
      // Each element alone, so one that cannot be written fails alone.
      return present.length === 0 ? undefined : `[${present.map((r) => this.serialize(r, session)).join(',')}]`;
    });
  }

  /**
   * Write a reply as JSON. A result that cannot be written (nested too deep for the stack, longer
   * than a string may be, a BigInt, a cycle) becomes REPLY_UNSENDABLE for that one request, with
   * an error id in the log; it never escapes to the connection or the process.
   */
  private serialize(reply: Reply | undefined, session: Session): string | undefined {
    if (reply === undefined) return undefined;
    try {
      return JSON.stringify(reply);
    } catch (err) {
      const errorId = randomUUID();
      session.log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, errorId, id: reply.id }, 'reply could not be serialised');
      const e = AppErrors.REPLY_UNSENDABLE;
      return JSON.stringify(errorResponse(reply.id, { code: e.code, message: e.message, data: { name: 'REPLY_UNSENDABLE', errorId } }));
    }
  }

  private handleOne(value: unknown, session: Session & { peer: RpcPeer }, frame: FrameTiming | undefined): Reply | undefined | Promise<Reply | undefined> {
    const env = classify(value);
    switch (env.kind) {
      case 'response':
        session.peer.receive(env.message, frame?.receivedAt);
        return undefined;
      case 'invalid':
        this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.INVALID_REQUEST.code), 0);
        return errorResponse(env.id, protocolError('INVALID_REQUEST', { reason: env.reason }).toJSON());
      default: {
        const registered = this.methods.get(env.method);
        if (!registered) {
          this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.METHOD_NOT_FOUND.code), 0);
          if (env.kind === 'notification') return undefined;
          return errorResponse(env.id, protocolError('METHOD_NOT_FOUND', { method: env.method.slice(0, 200) }).toJSON());
        }
        const reply = this.call(registered, env.kind === 'request' ? env.id : undefined, env.params, session, frame);
        return isPromise(reply) ? reply.then((r) => r ?? undefined) : (reply ?? undefined);
      }
    }
  }

  /**
   * Run one call. Synchronous handlers are answered synchronously (no promise, no extra
   * allocation on the hot path); asynchronous ones through a promise. `id` undefined means a
   * notification: it runs, and nothing is returned.
   */
  private call(
    registered: Registered,
    id: RpcId | undefined,
    params: unknown,
    session: Session,
    frame: FrameTiming | undefined,
  ): Reply | null | Promise<Reply | null> {
    const name = registered.def.name;
    const started = this.elapsed();
    const ctx = new RequestContext(session, name, traceIdFrom(params), frame);
    this.inFlight++;
    let result: unknown;
    try {
      if (!mayCall(registered.def, session.role)) {
        throw new AppError('FORBIDDEN', `role ${session.role} may not call ${name}`, { role: session.role, allowed: registered.def.roles });
      }
      const parsed = registered.def.params.safeParse(withoutMeta(params));
      if (!parsed.success) {
        registered.onInvalidParams?.(params, ctx);
        throw protocolError('INVALID_PARAMS', invalidParamsData(parsed.error.issues));
      }
      const waiting = this.pendingBySession.get(session) ?? 0;
      if (waiting >= this.maxPendingPerConnection) {
        throw new AppError('TOO_MANY_PENDING', `${waiting} calls are still pending on this connection`, {
          pending: waiting,
          max: this.maxPendingPerConnection,
        });
      }
      result = registered.handler(parsed.data, ctx);
    } catch (err) {
      return this.settle(registered, ctx, id, started, true, err);
    }
    if (isPromise(result)) {
      this.pendingBySession.set(session, (this.pendingBySession.get(session) ?? 0) + 1);
      const done = (): void => {
        this.pendingBySession.set(session, (this.pendingBySession.get(session) ?? 1) - 1);
      };
      return result.then(
        (value) => {
          done();
          return this.settle(registered, ctx, id, started, false, value);
        },
        (err: unknown) => {
          done();
          return this.settle(registered, ctx, id, started, true, err);
        },
      );
    }
    return this.settle(registered, ctx, id, started, false, result);
  }

  /**
   * Turn a handler's outcome (its value, or what it threw when `failed`) into the reply, and
   * account for the call. Positional rather than an outcome object: this runs once per call.
   */
  private settle(registered: Registered, ctx: RequestContext, id: RpcId | undefined, started: number, failed: boolean, outcome: unknown): Reply | null {
    let response: Reply | null;
    let code = 'ok';
    try {
      if (failed) throw outcome;
      const value = this.options.validateResults ? this.checkResult(registered.def, outcome) : outcome;
      response = id === undefined ? null : { jsonrpc: '2.0', id, result: value ?? null };
    } catch (err) {
      const wire = this.toWireError(err, ctx);
      code = String(wire.code);
      response = id === undefined ? null : errorResponse(id, wire);
    }
    this.inFlight--;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    const seconds = (this.elapsed() - started) / 1000;
    this.deps.observer?.onCall(ctx.method, code, seconds);
    if (this.deps.log.isLevelEnabled?.('debug') ?? false) {
      ctx.log.debug({ durationMs: seconds * 1000, outcome: code, notification: id === undefined }, 'rpc');
    }
    return response;
  }

  private checkResult(def: MethodDefinition, result: unknown): unknown {
    const checked = def.result.safeParse(result);
    if (!checked.success) throw new Error(`result of ${def.name} does not match its schema: ${checked.error.message}`);
    return result;
  }

  /** §5.1: catalogued errors pass through; anything else becomes Internal error with an error id. */
  private toWireError(err: unknown, ctx: RequestContext): WireError {
    if (err instanceof RpcError) return err.toJSON();
    if (err instanceof AppError) {
      const data: Record<string, unknown> = { name: err.errorName, ...err.data };
      if (err.detail) data.detail = err.detail;
      return { code: err.code, message: AppErrors[err.errorName].message, data };
    }
    const errorId = randomUUID();
    ctx.log.error({ err, errorId }, 'internal error in handler');
    return { code: ProtocolErrors.INTERNAL_ERROR.code, message: ProtocolErrors.INTERNAL_ERROR.message, data: { errorId } };
  }
}

/** Params as the method's schema sees them: `{}` when omitted, without the protocol's `_meta` member. */
function withoutMeta(params: unknown): unknown {
  if (params === undefined) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params) || !('_meta' in params)) return params;
  const { _meta: _, ...rest } = params as Record<string, unknown>;
  return rest;
}

function errorResponse(id: RpcId, error: WireError): Reply {
  return { jsonrpc: '2.0', id, error };
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
