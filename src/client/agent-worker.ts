import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { agentRegister } from '../schemas/agent.js';
import type { SignalType } from '../schemas/common.js';
import type { ParamsOf, ResultOf } from '../schemas/method.js';
import { TaskId, TaskRunParams, type taskProgress } from '../schemas/task.js';
import { MessageDeliverParams, RouteDecideParams } from '../schemas/conversation.js';
import type { BackoffOptions } from './backoff.js';
import { CoordClient } from './client.js';
import type { CoordClientOptions } from './client-options.js';
import { hasParentPipe, watchParentPipe } from './parent-pipe.js';
import type { SignalResult } from './method-types.js';
import { ClientError, RpcError, TaskFailure } from './errors.js';
import { HealthSampler } from './health.js';
import { silentLogger, type ClientLogger } from './logger.js';
import { systemTimers, type ClientTimers, type TimerHandle } from './timers.js';

export type { TaskRunParams, MessageDeliverParams, RouteDecideParams };
export type RegisterParams = ParamsOf<typeof agentRegister>;
export type Registration = ResultOf<typeof agentRegister>;

/** What a handler gets besides the task. */
export interface TaskContext {
  /** Aborted when the daemon sends `task.cancel`, the connection drops, or the worker stops. */
  readonly signal: AbortSignal;
  /** Send a `task.progress` notification (progress clamped to [0,1]); never throws. */
  progress(progress?: number, message?: string): void;
  readonly log: ClientLogger;
}

/** Runs one task; the value is the result (`undefined` → `null`), a throw fails the attempt. */
export type TaskHandler = (task: TaskRunParams, ctx: TaskContext) => unknown;

/** Answers a routed message (`message.deliver`); the value is the response, a throw is an error reply. */
export type MessageHandler = (delivery: MessageDeliverParams) => unknown;

/** A supervisor's choice among the candidates (`route.decide`). */
export type RouteDecisionHandler = (request: RouteDecideParams) => { agentId: string; reason?: string } | Promise<{ agentId: string; reason?: string }>;

/** Options of {@link AgentWorker}. */
export interface AgentWorkerOptions {
  /** The daemon's URL, or the replicas' URLs of a cluster (each reconnect moves on to the next; see {@link CoordClient}). Needed unless `transport` is given. */
  url?: string | string[];
  token?: string;
  /** @defaultValue assigned by the daemon, then kept across reconnects */
  agentId?: string;
  name?: string;
  type?: string;
  capabilities: string[];
  /** Concurrent tasks the daemon may send. */
  capacity: number;
  /** @defaultValue assigned by the daemon, then kept across reconnects */
  contextWindowId?: string;
  handler: TaskHandler;
  /** Answers messages routed by `router.route`; without it the daemon gets "Method not found" and tries another agent. */
  onMessage?: MessageHandler;
  /** For a supervisor (capability `supervisor`): choose the agent for each routed message. */
  onRouteDecide?: RouteDecisionHandler;
  /** Send `agent.heartbeat` (with health) at the interval the daemon asks for. @defaultValue true */
  heartbeat?: boolean;
  /** See {@link CoordClient}. @defaultValue DEFAULT_BACKOFF */
  reconnect?: Partial<BackoffOptions> | false;
  /** @defaultValue a silent logger */
  log?: ClientLogger;
  /** Uniform source in [0,1) for backoff jitter. @defaultValue Math.random */
  random?: () => number;
  /** Where heartbeats, reconnect delays and request timeouts are scheduled (tests pass a virtual clock). @defaultValue systemTimers */
  timers?: ClientTimers;
  /** Passed to `ws` for every connection, e.g. `{ ca }` to trust a private CA for wss://. */
  wsOptions?: CoordClientOptions['wsOptions'];
  /** How each connection is opened. @defaultValue a WebSocket to `url` */
  transport?: CoordClientOptions['transport'];
  /** See {@link CoordClientOptions.connectTimeoutMs}. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** See {@link CoordClientOptions.keepaliveMs}. @defaultValue 20000 */
  keepaliveMs?: number;
  /**
   * When stdin (the parent pipe of a worker coordd spawned) reaches end of file, i.e. the daemon
   * died: stop and exit the process with code 0. @defaultValue true when COORDD_PARENT_PIPE=stdin
   */
  exitWithParent?: boolean;
}

export interface AgentWorkerEvents {
  /** Registered (again, after a reconnect, when `reregistered`). */
  registered: [registration: Registration, info: { reregistered: boolean }];
}

/** Daemon → agent notification `task.cancel` (not an operator call: it carries the epoch). */
const TaskCancelNotice = z.object({ taskId: TaskId, epoch: z.number().int().optional() });

/** The application error code of a failed task attempt. */
export const TASK_FAILED_CODE = -32000;
const MAX_PROGRESS_MESSAGE = 4096;

interface Running {
  readonly epoch: number;
  readonly controller: AbortController;
  /** The registration (connection) whose task.run request started it. */
  readonly generation: number;
  /** The daemon said to stop it (dropped at re-registration): nothing is reported. */
  dropped?: boolean;
}

/** An attempt's outcome that its task.run request can no longer carry: sent by task.report. */
type Outcome = { taskId: string; epoch: number } & ({ result: unknown } | { error: { code: number; message: string; data?: unknown } });

/**
 * An agent: connects, registers, heartbeats, and runs the daemon's `task.run` requests through
 * `handler`, answering each with its result or error. Re-registers with the same agentId and
 * contextWindowId after every reconnect, reporting the attempts it still runs (or finished while
 * disconnected): the daemon reattaches its own (their outcome then goes by `task.report`, since the
 * request that started them is gone) and names the ones to drop, which are aborted.
 */
export class AgentWorker extends EventEmitter<AgentWorkerEvents> {
  /** The underlying connection (events: open, close, reconnecting, reconnect, end). */
  readonly client: CoordClient;
  private readonly log: ClientLogger;
  private readonly running = new Map<string, Running>();
  /** Outcomes finished while no registered connection could take them, by task id. */
  private readonly undelivered = new Map<string, Outcome>();
  /** Registrations so far: a task whose generation is older must report its outcome by task.report. */
  private generation = 0;
  /** Whether the socket of the current generation is still open (set at registration, cleared at close). */
  private socketUp = false;
  private registration: Registration | undefined;
  private readonly timers: ClientTimers;
  private heartbeatTimer: TimerHandle | undefined;
  private unwatchParent: (() => void) | undefined;

  constructor(private readonly options: AgentWorkerOptions) {
    super();
    this.log = options.log ?? silentLogger;
    this.timers = options.timers ?? systemTimers;
    this.client = new CoordClient({
      timers: this.timers,
      url: options.url,
      token: options.token,
      reconnect: options.reconnect,
      log: this.log,
      random: options.random,
      wsOptions: options.wsOptions,
      transport: options.transport,
      connectTimeoutMs: options.connectTimeoutMs,
      keepaliveMs: options.keepaliveMs,
      handshake: (_client, info) => this.register(info.reconnected),
    });
    this.client.handle('task.run', (params, meta) => (meta.notification ? undefined : this.run(params)));
    this.client.handle('task.cancel', (params) => this.cancel(params));
    const { onMessage, onRouteDecide } = options;
    if (onMessage) this.client.handle('message.deliver', (params) => onMessage(parseOrInvalid(MessageDeliverParams, params)));
    if (onRouteDecide) this.client.handle('route.decide', (params) => onRouteDecide(parseOrInvalid(RouteDecideParams, params)));
    this.client.on('close', () => this.disconnected());
    this.client.on('reconnecting', () => this.disconnected()); // also after a failed re-registration
    this.client.on('end', () => this.abortAll(new ClientError('CONNECTION_LOST', 'the connection to the daemon is gone for good')));
  }

  /** The id the daemon registered this agent under (after `start()`). */
  get agentId(): string | undefined {
    return this.registration?.agentId;
  }

  get contextWindowId(): string | undefined {
    return this.registration?.contextWindowId;
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Outcomes waiting for a connection to send them by task.report. */
  get undeliveredCount(): number {
    return this.undelivered.size;
  }

  /** Connect and register; resolves with the registration. */
  async start(): Promise<Registration> {
    if (this.options.exitWithParent ?? hasParentPipe()) this.unwatchParent ??= watchParentPipe(() => this.parentGone());
    await this.client.connect();
    return this.registration!;
  }

  /** Stop heartbeats, abort running tasks, and close the connection. */
  async stop(): Promise<void> {
    this.unwatchParent?.();
    this.unwatchParent = undefined;
    this.stopHeartbeats();
    this.abortAll(new ClientError('CLOSED', 'the worker is stopping'));
    await this.client.close();
  }

  /** Send one of this agent's own sensitivity signals. */
  sendSignal(signalType: SignalType, value: number, opts: { ttlSeconds?: number; confidence?: number; traceId?: string } = {}): Promise<SignalResult> {
    const agentId = this.agentId;
    if (!agentId) return Promise.reject(new ClientError('NOT_CONNECTED', 'cannot send a signal before the agent is registered'));
    return this.client.signal({ agentId, signalType, value, ...opts });
  }

  /** The daemon that spawned this worker is gone: nothing will send it work again. */
  private parentGone(): void {
    this.log.warn({}, 'the daemon that spawned this worker is gone (stdin closed); exiting');
    // Stopping is quick (the socket is already down or closes at once); the timer is a backstop.
    setTimeout(() => process.exit(0), 1000).unref();
    void this.stop().finally(() => process.exit(0));
  }

  private async register(reregistered: boolean): Promise<void> {
    const { name, type, capabilities, capacity } = this.options;
    const agentId = this.registration?.agentId ?? this.options.agentId;
    const contextWindowId = this.registration?.contextWindowId ?? this.options.contextWindowId;
    const params: RegisterParams = { agentId, name, type, capabilities, capacity, contextWindowId };
    // After a reconnect (the daemon may have restarted): what still runs, and what finished meanwhile.
    const running = this.runningRefs();
    if (reregistered || running.length > 0) params.running = running;
    // task.run requests may arrive before the registration's reply: they belong to this connection.
    this.generation++;
    this.socketUp = true;
    const registration = agentRegister.result.parse(await this.client.request('agent.register', params));
    this.registration = registration;
    this.reattach(registration, running);
    this.startHeartbeats(registration.heartbeatIntervalMs);
    this.log.info(
      { agentId: registration.agentId, reregistered, reattached: registration.reattached?.length, dropped: registration.dropped?.length },
      'registered',
    );
    this.emit('registered', registration, { reregistered });
  }

  /** Every attempt the daemon may still expect from this agent: running, or finished and not yet told. */
  private runningRefs(): { taskId: string; epoch: number }[] {
    const refs = new Map<string, { taskId: string; epoch: number }>();
    for (const [taskId, entry] of this.running) if (!entry.dropped) refs.set(taskId, { taskId, epoch: entry.epoch });
    for (const [taskId, o] of this.undelivered) if (!refs.has(taskId)) refs.set(taskId, { taskId, epoch: o.epoch });
    return [...refs.values()].slice(0, 10_000);
  }

  /**
   * Act on the daemon's answer about the attempts reported at registration: those it reattached go
   * on (their outcome goes by task.report); every other earlier attempt is stopped or forgotten (a
   * daemon that did not restart requeued them when the connection dropped; an older daemon does not
   * answer `reattached` at all).
   */
  private reattach(registration: Registration, reported: { taskId: string; epoch: number }[]): void {
    const keep = new Set((registration.reattached ?? []).map((d) => `${d.taskId}/${d.epoch}`));
    const asked = new Set(reported.map((d) => `${d.taskId}/${d.epoch}`));
    for (const [taskId, entry] of this.running) {
      const key = `${taskId}/${entry.epoch}`;
      if (!asked.has(key) || keep.has(key)) continue;
      entry.dropped = true;
      entry.controller.abort(new ClientError('CONNECTION_LOST', 'the connection to the daemon closed and the daemon did not keep this attempt'));
    }
    for (const [taskId, o] of [...this.undelivered]) {
      if (keep.has(`${taskId}/${o.epoch}`)) this.deliver(o);
      else this.undelivered.delete(taskId);
    }
  }

  /** Send an outcome by task.report; kept for the next registration if the connection fails meanwhile. */
  private deliver(outcome: Outcome): void {
    this.undelivered.set(outcome.taskId, outcome);
    const generation = this.generation;
    this.client.request('task.report', outcome).then(
      (answer) => {
        if (this.undelivered.get(outcome.taskId) === outcome) this.undelivered.delete(outcome.taskId);
        this.log.info({ taskId: outcome.taskId, epoch: outcome.epoch, accepted: (answer as { accepted?: unknown })?.accepted }, 'task outcome reported');
      },
      (error: unknown) => {
        // An error reply drops it; a lost connection keeps it for the next registration to report.
        if (error instanceof RpcError && this.undelivered.get(outcome.taskId) === outcome) this.undelivered.delete(outcome.taskId);
        this.log.debug({ err: error, taskId: outcome.taskId, generation }, 'task.report not delivered');
      },
    );
  }

  private async run(raw: unknown): Promise<unknown> {
    const parsed = TaskRunParams.safeParse(raw);
    if (!parsed.success) {
      throw new RpcError(-32602, 'Invalid params', { retryable: false, paths: parsed.error.issues.map((i) => i.path.join('.') || 'params') });
    }
    const task = parsed.data;
    const previous = this.running.get(task.taskId);
    if (previous) {
      previous.dropped = true;
      previous.controller.abort(new TaskFailure('superseded by a newer attempt', { retryable: true }));
    }
    this.undelivered.delete(task.taskId);
    const entry: Running = { epoch: task.epoch, controller: new AbortController(), generation: this.generation };
    this.running.set(task.taskId, entry);
    const { signal } = entry.controller;
    const ctx: TaskContext = { signal, progress: (p, m) => this.progress(task, p, m), log: this.log };
    let outcome: Outcome;
    try {
      const work = Promise.resolve().then(() => this.options.handler(task, ctx));
      outcome = { taskId: task.taskId, epoch: task.epoch, result: (await untilAborted(work, signal)) ?? null };
    } catch (error) {
      const failure = toTaskError(signal.aborted ? signal.reason : error);
      outcome = {
        taskId: task.taskId,
        epoch: task.epoch,
        error: { code: failure.code, message: failure.message, ...(failure.data !== undefined && { data: failure.data }) },
      };
    } finally {
      if (this.running.get(task.taskId) === entry) this.running.delete(task.taskId);
    }
    if (entry.generation === this.generation && this.socketUp) {
      // The request that started it can still be answered.
      if ('error' in outcome) throw new RpcError(outcome.error.code, outcome.error.message, outcome.error.data);
      return outcome.result;
    }
    // Started on an earlier connection (the daemon may have restarted): the reply cannot arrive.
    if (!entry.dropped) {
      if (this.socketUp) this.deliver(outcome);
      else this.undelivered.set(task.taskId, outcome);
    }
    return null;
  }

  private cancel(raw: unknown): void {
    const notice = TaskCancelNotice.safeParse(raw);
    if (!notice.success) return void this.log.warn({ params: raw }, 'ignored a malformed task.cancel');
    const entry = this.running.get(notice.data.taskId);
    if (!entry || (notice.data.epoch !== undefined && notice.data.epoch !== entry.epoch)) return;
    entry.controller.abort(new TaskFailure('cancelled', { retryable: false, data: { cancelled: true } }));
  }

  private progress(task: TaskRunParams, progress: number | undefined, message: string | undefined): void {
    if (!this.client.connected) return;
    const params: ParamsOf<typeof taskProgress> = { taskId: task.taskId, epoch: task.epoch };
    if (progress !== undefined && Number.isFinite(progress)) params.progress = Math.min(1, Math.max(0, progress));
    if (message !== undefined) params.message = message.slice(0, MAX_PROGRESS_MESSAGE);
    try {
      this.client.notify('task.progress', params);
    } catch (error) {
      this.log.debug({ err: error, taskId: task.taskId }, 'progress not sent');
    }
  }

  private disconnected(): void {
    this.socketUp = false;
    this.stopHeartbeats();
    // Running tasks go on: at the next registration they are reported, and the daemon says which
    // to keep (reattached after its restart) and which to drop (it requeued them meanwhile).
  }

  private abortAll(reason: Error): void {
    for (const entry of this.running.values()) {
      entry.dropped = true;
      entry.controller.abort(reason);
    }
    this.undelivered.clear();
  }

  private startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    if (this.options.heartbeat === false) return;
    const health = new HealthSampler();
    this.heartbeatTimer = this.timers.setInterval(() => {
      if (!this.client.connected) return;
      const state = this.running.size > 0 ? 'EXECUTING' : 'IDLE';
      try {
        this.client.notify('agent.heartbeat', { state, health: health.sample() });
      } catch (error) {
        this.log.debug({ err: error }, 'heartbeat not sent');
      }
    }, intervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) this.timers.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

/** The daemon's params, or the -32602 reply a daemon speaking another version would get. */
function parseOrInvalid<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new RpcError(-32602, 'Invalid params', { paths: parsed.error.issues.map((i) => i.path.join('.') || 'params') });
  return parsed.data;
}

/** `work`, or a rejection with the signal's reason as soon as it aborts (a handler may ignore it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {}); // a failure after the abort has nobody left to tell
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A handler failure as the JSON-RPC error the daemon reads: data.retryable decides a retry. */
function toTaskError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof ClientError) return new RpcError(TASK_FAILED_CODE, error.message, { retryable: true });
  const message = error instanceof Error ? error.message : String(error);
  const retryable = (error as { retryable?: unknown } | null)?.retryable;
  const extra = error instanceof TaskFailure ? error.data : undefined;
  return new RpcError(TASK_FAILED_CODE, message || 'task failed', { ...extra, retryable: typeof retryable === 'boolean' ? retryable : true });
}
