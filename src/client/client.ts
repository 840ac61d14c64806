import { EventEmitter } from 'node:events';
import {
  JSONRPCServer,
  createJSONRPCErrorResponse,
  createJSONRPCSuccessResponse,
  isJSONRPCRequest,
  isJSONRPCRequests,
  isJSONRPCResponse,
  isJSONRPCResponses,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import type WebSocket from 'ws';
import { PendingRequests, type PendingRequestErrors } from '../jsonrpc/pending-requests.js';
import type { ParamsOf } from '../schemas/method.js';
import { DEFAULT_TASK_WAIT_MS, type taskList } from '../schemas/task.js';
import type { MethodName, MethodParams, MethodResult, RequestArgs } from './method-types.js';
import type { AssignParams, AssignResult, CancelResult, RouteParams, RouteResult, SignalParams, SignalResult, TaskList, TaskRecord } from './method-types.js';
import { Backoff, backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { webSocketTransport, type ClientTransport, type OpenTransport } from './client-transport.js';
import { ClientError, RpcError } from './errors.js';
import { silentLogger, type ClientLogger } from './logger.js';
import { systemTimers, type ClientTimers, type TimerHandle } from './timers.js';

/** Options of {@link CoordClient}. */
export interface CoordClientOptions {
  /**
   * The daemon's WebSocket URL, e.g. `ws://127.0.0.1:7420/rpc`, or several (the replicas of a
   * cluster): the first connection tries them in order, and every reconnect moves on to the next.
   * Needed unless `transport` is given.
   */
  url?: string | string[];
  /** Bearer token sent with every upgrade (when the daemon has tokens configured). */
  token?: string;
  /** Automatic reconnection after the socket drops; `false` disables it. @defaultValue {@link DEFAULT_BACKOFF} */
  reconnect?: Partial<BackoffOptions> | false;
  /** Default per-request timeout; `0` waits forever. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /**
   * How many times {@link CoordClient.assign} retries a `pool.assign` that carries an
   * `idempotencyKey` after a retryable error (LEADER_UNAVAILABLE) or a lost connection; `0` never does.
   * @defaultValue 5
   */
  assignRetries?: number;
  /** How long the WebSocket opening handshake may take before the attempt fails (a frozen replica accepts TCP and never answers). @defaultValue 10000 */
  connectTimeoutMs?: number;
  /**
   * Ping the daemon this often and drop the connection (then reconnect, to the next URL) when the
   * previous ping got no pong: a replica that froze or was cut off is noticed. `0` turns it off. @defaultValue 20000
   */
  keepaliveMs?: number;
  /**
   * Runs on every new socket before the client counts as open (e.g. `agent.register`); requests
   * work inside it. A throw fails that connection attempt: `connect()` rejects, or the next
   * reconnect is scheduled with a longer delay.
   */
  handshake?: (client: CoordClient, info: { reconnected: boolean }) => Promise<void>;
  /** @defaultValue a silent logger */
  log?: ClientLogger;
  /** Uniform source in [0,1) for backoff jitter. @defaultValue Math.random */
  random?: () => number;
  /** Where request timeouts and reconnect delays are scheduled (tests pass a virtual clock). @defaultValue {@link systemTimers} */
  timers?: ClientTimers;
  /** Passed to `ws` for every connection, e.g. `{ ca: readFileSync('ca.pem') }` to trust a private CA for wss://. */
  wsOptions?: WebSocket.ClientOptions;
  /** How each connection is opened. @defaultValue a WebSocket to `url` (see client-transport.ts) */
  transport?: OpenTransport;
}

export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`; `0` waits forever. */
  timeoutMs?: number;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Events of {@link CoordClient}. */
export interface CoordClientEvents {
  /** Connected and handshake done. */
  open: [info: { reconnected: boolean }];
  /** An open connection closed; `willReconnect` tells whether a reconnect is scheduled. */
  close: [info: { code: number; reason: string; willReconnect: boolean }];
  /** A reconnect attempt to `url` is scheduled in `delayMs` (after `error`, when the previous attempt failed). */
  reconnecting: [info: { attempt: number; delayMs: number; url: string; error?: Error }];
  /** Reconnected (after `open`), after `attempts` tries. */
  reconnect: [info: { attempts: number }];
  /** The client is done for good: `close()` was called, reconnection is off, or the token was refused. */
  end: [info: { error?: Error }];
}

/** Message handlers the daemon may call on this connection (requests or notifications). */
export type MethodHandler = (params: unknown, meta: { notification: boolean }) => unknown;

/** A timeout is local (ClientError); an error reply is the daemon's (RpcError). */
const CLIENT_ERRORS: PendingRequestErrors = {
  timeout: (method, timeoutMs) => new ClientError('TIMEOUT', `${method}: no reply within ${timeoutMs} ms`),
  remote: (error) => new RpcError(error.code, error.message, error.data),
};
/** How much longer than a server-side wait the client waits for the reply. */
const WAIT_MARGIN_MS = 5000;
/**
 * Close codes after which the next URL is tried at once, without backoff: 1012 (service restart: a
 * cluster's leader changed and the replica dropped the sessions it relayed) and 1013 (try again later).
 */
export const RECONNECT_AT_ONCE_CODES: readonly number[] = [1012, 1013];

/**
 * A JSON-RPC connection to coordd, for operators and agents: calls the daemon (the same
 * pending-request table as the daemon's own outbound calls), serves the methods the daemon calls
 * back (json-rpc-2.0's server), and reconnects with exponential backoff and jitter when the socket drops.
 */
export class CoordClient extends EventEmitter<CoordClientEvents> {
  /** Serves the daemon's calls; the socket a request came on is where its reply goes. */
  private readonly server: JSONRPCServer<ClientTransport>;
  /** Our requests awaiting the daemon's reply. */
  private readonly pending: PendingRequests<TimerHandle>;
  private readonly backoff: Backoff | undefined;
  private readonly requestTimeoutMs: number;
  private readonly assignRetries: number;
  private readonly random: () => number;
  private readonly log: ClientLogger;
  private readonly timers: ClientTimers;
  private readonly openTransport: OpenTransport;
  private readonly urls: readonly string[];
  /** Index in `urls` of the current (or next) connection. */
  private urlIndex = 0;
  private openWaiter: Promise<void> | undefined;
  /** The current connection (open, its handshake maybe still running), and its close. */
  private conn: ClientTransport | undefined;
  private connClosed: Promise<void> | undefined;
  private established: ClientTransport | undefined;
  /** Aborts the connection attempt still opening, if any. */
  private opening: AbortController | undefined;
  private status: ClientState = 'idle';
  private reconnectTimer: TimerHandle | undefined;
  private ended = false;

  constructor(private readonly options: CoordClientOptions) {
    super();
    this.log = options.log ?? silentLogger;
    this.timers = options.timers ?? systemTimers;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.assignRetries = options.assignRetries ?? 5;
    this.random = options.random ?? Math.random;
    this.urls = options.url === undefined ? [] : [options.url].flat();
    this.backoff = options.reconnect === false ? undefined : new Backoff({ ...DEFAULT_BACKOFF, ...options.reconnect }, options.random);
    this.server = new JSONRPCServer({ errorListener: (message, data) => this.log.warn({ err: data }, message) });
    this.pending = new PendingRequests(this.timers, CLIENT_ERRORS);
    if (!options.transport && this.urls.length === 0) throw new Error('CoordClient needs at least one url (or a transport)');
    const ws = { connectTimeoutMs: options.connectTimeoutMs ?? 10_000, keepaliveMs: options.keepaliveMs ?? 20_000, timers: this.timers };
    this.openTransport = options.transport ?? ((signal) => webSocketTransport(this.url, options.token, options.wsOptions, this.log, ws)(signal));
  }

  /** Create a client and connect it. */
  static async connect(options: CoordClientOptions): Promise<CoordClient> {
    const client = new CoordClient(options);
    await client.connect();
    return client;
  }

  get state(): ClientState {
    return this.status;
  }

  /** The URL of the current connection (or of the next attempt while reconnecting); '' with a custom transport. */
  get url(): string {
    return this.urls[this.urlIndex] ?? '';
  }

  /** True while a connection is open and its handshake is done. */
  get connected(): boolean {
    return this.status === 'open';
  }

  /** Open the first connection (and run the handshake); rejects with a ClientError if that fails. */
  async connect(): Promise<void> {
    if (this.status !== 'idle') throw new Error(`CoordClient.connect() may be called once (state: ${this.status})`);
    this.status = 'connecting';
    try {
      await this.establishAny();
    } catch (error) {
      const failure =
        error instanceof ClientError ? error : new ClientError('CONNECT_FAILED', `connection setup failed: ${messageOf(error)}`, { cause: error });
      this.status = 'closed';
      this.finish(failure);
      throw failure;
    }
  }

  /**
   * Call a method; params and result are typed from the daemon's zod schemas (an unknown method
   * or wrong params do not compile). Rejects with RpcError (the daemon's error reply) or
   * ClientError (local failure).
   */
  request<N extends MethodName>(method: N, ...args: RequestArgs<N>): Promise<MethodResult<N>> {
    const [params, options] = args;
    return this.requestUntyped(method, params as object | undefined, options) as Promise<MethodResult<N>>;
  }

  /**
   * Call a method by any name with any params, unchecked: for methods this client version does not
   * know yet (a newer daemon's). Prefer {@link request}.
   */
  requestUntyped(method: string, params?: object, options: RequestOptions = {}): Promise<unknown> {
    if (!this.socketOpen()) return Promise.reject(this.notConnected(method));
    const { id, reply } = this.pending.add<unknown>(method, options.timeoutMs ?? this.requestTimeoutMs);
    const request = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
    try {
      this.write(request, undefined);
    } catch (error) {
      this.pending.reject(id, new ClientError('CONNECTION_LOST', `${method}: could not send (${messageOf(error)})`));
    }
    return reply;
  }

  /** Send a notification (no reply); throws ClientError NOT_CONNECTED when there is no open socket. */
  notify<N extends MethodName>(method: N, params?: MethodParams<N>): void {
    if (!this.socketOpen()) throw this.notConnected(method);
    const notification = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    try {
      this.write(notification, undefined);
    } catch (error) {
      this.log.debug({ err: error, method }, 'could not send a notification');
    }
  }

  /**
   * Serve a method the daemon calls. The handler's value is the result (`undefined` → `null`);
   * a thrown RpcError is sent as is, anything else becomes -32603 with the error's message.
   */
  handle(method: string, handler: MethodHandler): void {
    this.server.addMethodAdvanced(method, async (request: JSONRPCRequest): Promise<JSONRPCResponse | null> => {
      const notification = request.id === undefined;
      try {
        const result = await handler(request.params, { notification });
        return notification ? null : createJSONRPCSuccessResponse(request.id ?? null, result ?? null);
      } catch (error) {
        if (notification) {
          this.log.warn({ err: error, method }, 'notification handler failed');
          return null;
        }
        const e = error instanceof RpcError ? error : new RpcError(-32603, messageOf(error));
        return createJSONRPCErrorResponse(request.id ?? null, e.code, e.message, e.data);
      }
    });
  }

  /** Close for good: no more reconnects, pending calls reject with CLOSED. */
  async close(): Promise<void> {
    this.status = 'closed';
    if (this.reconnectTimer !== undefined) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.pending.rejectAll((method) => new ClientError('CLOSED', `${method}: the client was closed before the reply`));
    this.opening?.abort();
    const { conn, connClosed } = this;
    if (conn) {
      conn.close(1000, 'client closing');
      await connClosed;
    }
    this.finish();
  }

  // ---- operator helpers ----

  /**
   * `pool.assign`: submit a task. With an `idempotencyKey` a repeat is harmless (the daemon answers
   * it with the first task, `deduplicated: true`), so a retryable error (LEADER_UNAVAILABLE: a
   * cluster's leader changed) or a connection lost before the reply is retried, after the reconnect,
   * up to `assignRetries` times. Without a key the call is made once.
   */
  async assign(params: AssignParams, options?: RequestOptions): Promise<AssignResult> {
    if (params.idempotencyKey === undefined) return this.request('pool.assign', params, options);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request('pool.assign', params, options);
      } catch (error) {
        if (attempt >= this.assignRetries || !retryableForIdempotentCall(error)) throw error;
        this.log.info({ err: error, attempt, idempotencyKey: params.idempotencyKey }, 'pool.assign failed; retrying with its idempotencyKey');
        await this.beforeRetry(error, attempt);
      }
    }
  }

  /** `task.get`: the whole record of a task. */
  getTask(taskId: string, options?: RequestOptions): Promise<TaskRecord> {
    return this.request('task.get', { taskId }, options);
  }

  /** `task.list`: tasks, newest first, paged. */
  listTasks(params: ParamsOf<typeof taskList> = {}, options?: RequestOptions): Promise<TaskList> {
    return this.request('task.list', params, options);
  }

  /** `task.wait`: resolves once the task is terminal; the reply timeout covers the server-side wait. */
  waitTask(taskId: string, timeoutMs?: number): Promise<TaskRecord> {
    const serverWaitMs = timeoutMs ?? DEFAULT_TASK_WAIT_MS;
    return this.request('task.wait', timeoutMs === undefined ? { taskId } : { taskId, timeoutMs }, { timeoutMs: serverWaitMs + WAIT_MARGIN_MS });
  }

  /** `task.cancel`. */
  cancelTask(taskId: string, options?: RequestOptions): Promise<CancelResult> {
    return this.request('task.cancel', { taskId }, options);
  }

  /** `coordination.signal`: one signal or a batch `{signals: [...]}`. */
  signal(params: SignalParams, options?: RequestOptions): Promise<SignalResult> {
    return this.request('coordination.signal', params, options);
  }

  /**
   * `router.route`: send a message to the right agent and get its response. The client waits for
   * every attempt the daemon may make (`routing.maxAttempts` × `timeoutMs`), so pass `options.timeoutMs` for long ones.
   */
  route(params: RouteParams, options?: RequestOptions): Promise<RouteResult> {
    return this.request('router.route', params, options);
  }

  /** Wait what the error asks (data.retryAfterMs) or a backoff delay, then for an open connection. */
  private async beforeRetry(error: unknown, attempt: number): Promise<void> {
    const asked = error instanceof RpcError ? error.retryAfterMs : undefined;
    await this.delay(asked ?? backoffDelay(attempt, DEFAULT_BACKOFF, this.random));
    if (this.status === 'open' || this.status === 'closed') return; // closed: the retry rejects with NOT_CONNECTED
    await this.untilOpen(this.requestTimeoutMs);
  }

  /** Resolves once the client is open again or done for good, or after `timeoutMs` (0: no limit). Shared by every waiter. */
  private untilOpen(timeoutMs: number): Promise<void> {
    if (!this.openWaiter) {
      this.openWaiter = new Promise<void>((resolve) => {
        const done = (): void => {
          this.off('open', done);
          this.off('end', done);
          this.openWaiter = undefined;
          resolve();
        };
        this.once('open', done);
        this.once('end', done);
      });
    }
    if (timeoutMs <= 0) return this.openWaiter;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => (timer = this.timers.setTimeout(resolve, timeoutMs)));
    return Promise.race([this.openWaiter, timeout]).finally(() => timer !== undefined && this.timers.clearTimeout(timer));
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.setTimeout(resolve, ms));
  }

  // ---- connection lifecycle ----

  /**
   * The first connection: each URL in turn until one works (a refused token ends it at once). A
   * handshake refused with a retryable error (LEADER_UNAVAILABLE: the cluster is between leaders)
   * earns another round over the URLs after a backoff delay.
   */
  private async establishAny(): Promise<void> {
    let rounds = 0;
    const count = Math.max(1, this.urls.length);
    for (let tried = 1; ; tried++) {
      try {
        return await this.establish(false);
      } catch (error) {
        const final = error instanceof ClientError && (error.code === 'AUTH_FAILED' || error.code === 'CLOSED');
        const retryable = error instanceof RpcError && error.retryable;
        const lastOfRound = tried % count === 0;
        if (final || this.status !== 'connecting' || (lastOfRound && (!retryable || ++rounds > 3))) throw error;
        this.log.warn({ err: error, url: this.url }, 'connect failed; trying the next url');
        this.nextUrl();
        if (retryable) await this.delay(error.retryAfterMs ?? backoffDelay(rounds, DEFAULT_BACKOFF, this.random));
      }
    }
  }

  private nextUrl(): void {
    if (this.urls.length > 0) this.urlIndex = (this.urlIndex + 1) % this.urls.length;
  }

  private async establish(reconnected: boolean): Promise<void> {
    const conn = await this.openConnection();
    try {
      await this.options.handshake?.(this, { reconnected });
    } catch (error) {
      conn.close(1000, 'handshake failed');
      throw error;
    }
    if (this.status === 'closed' || conn !== this.conn) {
      throw new ClientError(this.status === 'closed' ? 'CLOSED' : 'CONNECTION_LOST', 'the connection closed during its handshake');
    }
    const attempts = this.backoff?.attempts ?? 0;
    this.status = 'open';
    this.established = conn;
    this.backoff?.reset();
    this.emit('open', { reconnected });
    if (reconnected) this.emit('reconnect', { attempts });
  }

  private async openConnection(): Promise<ClientTransport> {
    const opening = new AbortController();
    this.opening = opening;
    let conn: ClientTransport;
    try {
      conn = await this.openTransport(opening.signal);
    } finally {
      if (this.opening === opening) this.opening = undefined;
    }
    if (this.status === 'closed') {
      conn.close(1000, 'client closing');
      throw new ClientError('CLOSED', 'the client was closed while connecting');
    }
    this.conn = conn;
    this.connClosed = new Promise((resolve) => {
      conn.onclose = (code, reason) => {
        this.handleClose(conn, code, reason);
        resolve();
      };
    });
    conn.onmessage = (text) => this.receive(conn, text);
    return conn;
  }

  private handleClose(conn: ClientTransport, code: number, reason: string): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.pending.rejectAll((method) => new ClientError('CONNECTION_LOST', `${method}: the connection closed (${code}) before the reply`));
    if (conn !== this.established) return; // closed during its handshake: establish() reports it
    this.established = undefined;
    const willReconnect = this.status === 'open' && this.backoff !== undefined;
    this.log.info({ code, reason, willReconnect, url: this.url }, 'connection closed');
    this.emit('close', { code, reason, willReconnect });
    if (willReconnect) {
      this.status = 'reconnecting';
      this.scheduleReconnect(undefined, RECONNECT_AT_ONCE_CODES.includes(code));
    } else if (this.status === 'open') {
      this.status = 'closed';
      this.finish(new ClientError('CONNECTION_LOST', `the connection closed (${code}) and reconnect is off`));
    }
  }

  /** Every reconnect goes to the next URL; `atOnce` skips the backoff delay (close codes 1012, 1013). */
  private scheduleReconnect(error?: Error, atOnce = false): void {
    if (this.status !== 'reconnecting' || !this.backoff) return;
    this.nextUrl();
    const backoffDelayMs = this.backoff.next();
    const delayMs = atOnce ? 0 : backoffDelayMs;
    this.emit('reconnecting', { attempt: this.backoff.attempts, delayMs, url: this.url, ...(error ? { error } : {}) });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.establish(true).catch((failure: unknown) => this.reconnectFailed(failure));
    }, delayMs);
  }

  private reconnectFailed(failure: unknown): void {
    if (this.status !== 'reconnecting') return; // closed meanwhile
    const error = failure instanceof Error ? failure : new Error(String(failure));
    this.log.warn({ err: error }, 'reconnect failed');
    if (error instanceof ClientError && error.code === 'AUTH_FAILED') {
      this.status = 'closed';
      this.finish(error);
      return;
    }
    this.scheduleReconnect(error);
  }

  private finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end', error ? { error } : {});
  }

  // ---- wire ----

  private receive(conn: ClientTransport, text: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      this.log.warn({ bytes: text.length }, 'ignored a frame that is not JSON');
      return;
    }
    if (isJSONRPCResponse(payload) || isJSONRPCResponses(payload)) {
      for (const response of [payload].flat()) this.pending.answer(response);
      return;
    }
    if (!isJSONRPCRequest(payload) && !isJSONRPCRequests(payload)) {
      this.log.warn({ data: payload }, 'Received an invalid JSON-RPC message');
      return;
    }
    // Replies to the daemon's requests go back on the connection the request came on, never a newer one.
    Promise.resolve(this.server.receive(payload as JSONRPCRequest, conn))
      .then((response) => (response === null ? undefined : this.write(response, conn)))
      .catch((error: unknown) => this.log.debug({ err: error }, 'could not answer the daemon'));
  }

  private write(payload: unknown, target: ClientTransport | undefined): void {
    const conn = target ?? this.conn;
    if (!conn || conn !== this.conn || this.status === 'closed') throw new ClientError('CONNECTION_LOST', 'the connection is not open');
    conn.send(JSON.stringify(payload));
  }

  private socketOpen(): boolean {
    return this.status !== 'closed' && this.conn !== undefined;
  }

  private notConnected(method: string): ClientError {
    return new ClientError('NOT_CONNECTED', `cannot call ${method}: not connected (state: ${this.status})`);
  }
}

/** Whether repeating the call can help and cannot harm, provided the call is idempotent. */
function retryableForIdempotentCall(error: unknown): boolean {
  if (error instanceof RpcError) return error.retryable;
  return error instanceof ClientError && (error.code === 'CONNECTION_LOST' || error.code === 'NOT_CONNECTED');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
