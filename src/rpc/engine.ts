import { randomUUID } from 'node:crypto';
import { JSONRPCServer, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import { AppError, AppErrors, ProtocolErrors } from '../errors.js';
import type { Log } from '../log.js';
import type { MethodDefinition, ParamsOf, ResultOf } from '../schemas/method.js';
import { classify, type RpcId } from './envelope.js';
import { invalidParamsData } from './param-issues.js';
import { RpcError, type WireError } from './rpc-error.js';
import type { Session } from './session.js';
import type { RpcPeer } from './peer.js';
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
   * Largest batch accepted; a larger one is refused as one Invalid Request.
   * @defaultValue 1000
   */
  maxBatch: number;
  /**
   * Check every result against its schema (tests turn this on; costs time on hot paths).
   * @defaultValue false
   */
  validateResults: boolean;
}

interface ServerParams {
  session: Session & { peer: RpcPeer };
  traceHint?: string;
}

interface Registered {
  def: MethodDefinition;
  handler: (params: unknown, ctx: RequestContext) => unknown;
}

const UNKNOWN_METHOD = '<unknown>';

/**
 * The JSON-RPC 2.0 engine: parses frames, validates envelopes (§4–§5), runs batches (§6),
 * checks roles and params, and turns whatever a handler throws into a safe error (§5.1).
 * It knows no domain: methods are registered with their definitions.
 */
export class RpcEngine {
  private readonly methods = new Map<string, Registered>();
  private readonly server: JSONRPCServer<ServerParams>;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: { log: Log & { isLevelEnabled?(level: string): boolean }; observer?: RpcObserver },
    private readonly options: RpcEngineOptions,
  ) {
    this.server = new JSONRPCServer<ServerParams>({ errorListener: (message, data) => deps.log.error({ err: data }, message) });
  }

  /** Serve a method; the handler gets params already parsed by the definition's schema. */
  register<M extends MethodDefinition>(def: M, handler: Handler<M>): void {
    if (this.methods.has(def.name)) throw new Error(`method ${def.name} registered twice`);
    this.methods.set(def.name, { def, handler: handler as Registered['handler'] });
    this.server.addMethodAdvanced(def.name, (request, params) => this.call(def.name, request, params));
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
  async handleText(text: string, session: Session & { peer: RpcPeer }): Promise<string | undefined> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.PARSE_ERROR.code), 0);
      return JSON.stringify(errorResponse(null, RpcError.protocol('PARSE_ERROR').toWire()));
    }
    if (!Array.isArray(message)) {
      const reply = await this.handleOne(message, session);
      return reply === undefined ? undefined : JSON.stringify(reply);
    }
    if (message.length === 0) {
      return JSON.stringify(errorResponse(null, RpcError.protocol('INVALID_REQUEST', { reason: 'empty batch' }).toWire()));
    }
    if (message.length > this.options.maxBatch) {
      return JSON.stringify(
        errorResponse(null, RpcError.protocol('INVALID_REQUEST', { reason: 'batch too large', maxBatch: this.options.maxBatch }).toWire()),
      );
    }
    const replies = await Promise.all(message.map((m) => this.handleOne(m, session)));
    const present = replies.filter((r): r is JSONRPCResponse => r !== undefined);
    return present.length === 0 ? undefined : JSON.stringify(present);
  }

  private async handleOne(value: unknown, session: Session & { peer: RpcPeer }): Promise<JSONRPCResponse | undefined> {
    const env = classify(value);
    switch (env.kind) {
      case 'response':
        session.peer.receive(env.message);
        return undefined;
      case 'invalid':
        this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.INVALID_REQUEST.code), 0);
        return errorResponse(env.id, RpcError.protocol('INVALID_REQUEST', { reason: env.reason }).toWire());
      default: {
        if (!this.methods.has(env.method)) {
          this.deps.observer?.onCall(UNKNOWN_METHOD, String(ProtocolErrors.METHOD_NOT_FOUND.code), 0);
          if (env.kind === 'notification') return undefined;
          return errorResponse(env.id, RpcError.protocol('METHOD_NOT_FOUND', { method: env.method.slice(0, 200) }).toWire());
        }
        const request: JSONRPCRequest = { jsonrpc: '2.0', method: env.method, params: env.params as never };
        if (env.kind === 'request') request.id = env.id;
        const response = await this.server.receive(request, { session });
        return response ?? undefined;
      }
    }
  }

  private async call(name: string, request: JSONRPCRequest, sp: ServerParams): Promise<JSONRPCResponse | null> {
    const registered = this.methods.get(name)!;
    const { session } = sp;
    const started = performance.now();
    const id = request.id;
    this.inFlight++;
    const ctx = new RequestContext(session, name, traceIdFrom(request.params));
    let outcome = 'ok';
    let response: JSONRPCResponse | null;
    try {
      if (!registered.def.roles.includes(session.role)) {
        throw new AppError('FORBIDDEN', `role ${session.role} may not call ${name}`, { role: session.role, allowed: registered.def.roles });
      }
      const parsed = registered.def.params.safeParse(withoutMeta(request.params));
      if (!parsed.success) throw RpcError.protocol('INVALID_PARAMS', invalidParamsData(parsed.error.issues));
      let result = await registered.handler(parsed.data, ctx);
      if (this.options.validateResults) result = this.checkResult(registered.def, result);
      response = id === undefined ? null : { jsonrpc: '2.0', id, result: result ?? null };
    } catch (err) {
      const wire = this.toWireError(err, ctx);
      outcome = String(wire.code);
      response = id === undefined ? null : errorResponse(id, wire);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    this.deps.observer?.onCall(name, outcome, seconds);
    if (this.deps.log.isLevelEnabled?.('debug') ?? false) {
      ctx.log.debug({ durationMs: seconds * 1000, outcome, notification: id === undefined }, 'rpc');
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
    if (err instanceof RpcError) return err.toWire();
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

function errorResponse(id: RpcId, error: WireError): JSONRPCResponse {
  return { jsonrpc: '2.0', id, error } as JSONRPCResponse;
}
