import { EventEmitter } from 'node:events';
import { isJSONRPCRequest, isJSONRPCRequests, isJSONRPCResponse, isJSONRPCResponses } from 'json-rpc-2.0';
import { PendingRequests, type PendingRequestErrors } from '../jsonrpc/pending-requests.js';
import type { ParamsOf } from '../schemas/method.js';
import { DEFAULT_TASK_WAIT_MS, type taskList } from '../schemas/task.js';
import type { MethodName, MethodParams, MethodResult, RequestArgs } from './method-types.js';
import type { AssignParams, AssignResult, CancelResult, RouteParams, RouteResult, SignalParams, SignalResult, TaskList, TaskRecord } from './method-types.js';
import type { ClientState, CoordClientEvents } from './client-events.js';
import type { CoordClientOptions, MethodHandler, RequestOptions } from './client-options.js';
import { webSocketTransport, type ClientTransport, type OpenTransport } from './client-transport.js';
import { ClientError, messageOf, RpcError } from './errors.js';
import { IdempotentRetry } from './idempotent-retry.js';
import { silentLogger, type ClientLogger } from './logger.js';
import { Reconnector } from './reconnector.js';
import { ServedMethods } from './served-methods.js';
import { systemTimers, type ClientTimers, type TimerHandle } from './timers.js';

/** A timeout is local (ClientError); an error reply is the daemon's (RpcError). */
const CLIENT_ERRORS: PendingRequestErrors = {
  timeout: (method, timeoutMs) => new ClientError('TIMEOUT', `${method}: no reply within ${timeoutMs} ms`),
  remote: (error) => new RpcError(error.code, error.message, error.data),
};
/** How much longer than a server-side wait the client waits for the reply. */
const WAIT_MARGIN_MS = 5000;

/**
 * A JSON-RPC connection to coordd, for operators and agents: calls the daemon (the same
 * pending-request table as the daemon's own outbound calls), serves the methods the daemon calls
 * back (json-rpc-2.0's server), and reconnects with exponential backoff and jitter when the socket drops.
 */
export class CoordClient extends EventEmitter<CoordClientEvents> {
  /** Serves the daemon's calls. */
  private readonly served: ServedMethods;
  /** Our requests awaiting the daemon's reply. */
  private readonly pending: PendingRequests<TimerHandle>;
  /** Which URL to connect to, and when. */
  private readonly reconnector: Reconnector;
  /** `pool.assign` with an idempotencyKey, made again after a retryable failure. */
  private readonly retry: IdempotentRetry;
  private readonly requestTimeoutMs: number;
  private readonly assignRetries: number;
  private readonly log: ClientLogger;
  private readonly timers: ClientTimers;
  private readonly openTransport: OpenTransport;
  /** The current connection (open, its handshake maybe still running), and its close. */
  private conn: ClientTransport | undefined;
  private connClosed: Promise<void> | undefined;
  private established: ClientTransport | undefined;
  /** Aborts the connection attempt still opening, if any. */
  private opening: AbortController | undefined;
  private status: ClientState = 'idle';
  private ended = false;

  constructor(private readonly options: CoordClientOptions) {
    super();
    this.log = options.log ?? silentLogger;
    this.timers = options.timers ?? systemTimers;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.assignRetries = options.assignRetries ?? 5;
    const random = options.random ?? Math.random;
    const urls = options.url === undefined ? [] : [options.url].flat();
    this.served = new ServedMethods(this.log);
    this.pending = new PendingRequests(this.timers, CLIENT_ERRORS);
    if (!options.transport && urls.length === 0) throw new Error('CoordClient needs at least one url (or a transport)');
    const { log, timers } = this;
    this.reconnector = new Reconnector(
      {
        timers,
        log,
        random,
        state: () => this.status,
        establish: (reconnected) => this.establish(reconnected),
        scheduled: (info) => this.emit('reconnecting', info),
        refused: (error) => {
          this.status = 'closed';
          this.finish(error);
        },
      },
      urls,
      options.reconnect,
    );
    this.retry = new IdempotentRetry(this, { timers, random, requestTimeoutMs: this.requestTimeoutMs });
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
    return this.reconnector.url;
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
      await this.reconnector.connectFirst();
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
    this.served.add(method, handler);
  }

  /** Close for good: no more reconnects, pending calls reject with CLOSED. */
  async close(): Promise<void> {
    this.status = 'closed';
    this.reconnector.cancel();
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
    return this.retry.run(
      () => this.request('pool.assign', params, options),
      this.assignRetries,
      (error, attempt) => this.log.info({ err: error, attempt, idempotencyKey: params.idempotencyKey }, 'pool.assign failed; retrying with its idempotencyKey'),
    );
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

  // ---- connection lifecycle ----

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
    const attempts = this.reconnector.attempts;
    this.status = 'open';
    this.established = conn;
    this.reconnector.opened();
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
    const willReconnect = this.status === 'open' && this.reconnector.enabled;
    this.log.info({ code, reason, willReconnect, url: this.url }, 'connection closed');
    this.emit('close', { code, reason, willReconnect });
    if (willReconnect) {
      this.status = 'reconnecting';
      this.reconnector.afterClose(code);
    } else if (this.status === 'open') {
      this.status = 'closed';
      this.finish(new ClientError('CONNECTION_LOST', `the connection closed (${code}) and reconnect is off`));
    }
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
    Promise.resolve(this.served.answer(payload, conn))
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
