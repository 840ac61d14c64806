import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { Random } from '../random.js';
import type { MessageRouter } from '../routing/message-router.js';
import type { TaskState } from '../schemas/task.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { AgentCallError } from './agent-channel.js';
import { AgentRegistry, type Registration } from './agent-registry.js';
import { canTake, type AgentRecord, type Health, type ReportedState } from './agent-record.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from './pool-options.js';
import type { PoolObserver, RequeueReason } from './pool-observer.js';
import { retryDelayMs } from './retry-backoff.js';
import { TaskQueue } from './task-queue.js';
import { failuresOf, requeuesOf, withAttemptFinished, withAttemptStarted, type TaskError } from './task-records.js';
import type { TaskFilter, TaskPage, TaskRecord, TaskStore } from './task-store.js';
import { TaskWaiters } from './task-waiters.js';

export interface PoolDeps {
  clock: Clock;
  ids: IdGenerator;
  random: Random;
  router: MessageRouter;
  store: TaskStore;
  log?: Log;
  observer?: PoolObserver;
}

/** What pool.assign takes, already validated at the edge. */
export interface AssignInput {
  type: string;
  payload?: unknown;
  requiredCapabilities?: string[];
  preferredAgentId?: string;
  affinityKey?: string;
  priority?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  idempotencyKey?: string;
  strategy?: TaskRecord['strategy'];
  traceId?: string;
}

/** Who submitted a task and, if they asked, how to tell them about every state change. */
export interface Submitter {
  notify?: (method: string, params: object) => void;
}

interface Running {
  epoch: number;
  agentId: string;
  startedAt: number;
  timer: TimerHandle;
}

type Choice = { kind: 'agent'; agent: AgentRecord } | { kind: 'hold'; until: number } | { kind: 'none' };

/**
 * The agent pool and the task queue. Single-threaded and synchronous in its bookkeeping, so the
 * invariants hold by construction: an agent never holds more tasks than its capacity, a task has
 * at most one running attempt (its epoch), terminal states never change, and every task that is
 * not terminal is either queued, waiting out a retry delay, or running on a live agent.
 */
export class PoolService {
  readonly options: Readonly<PoolOptions>;
  readonly agents: AgentRegistry;
  private readonly queue = new TaskQueue({ maxSize: Number.MAX_SAFE_INTEGER });
  private readonly running = new Map<string, Running>();
  private readonly retryTimers = new Map<string, TimerHandle>();
  private readonly holdTimers = new Map<string, TimerHandle>();
  private readonly queuedAt = new Map<string, number>();
  private readonly subscribers = new Map<string, (method: string, params: object) => void>();
  private readonly affinity: LRUCache<string, string>;
  private readonly waiters: TaskWaiters;
  private readonly log: Log;
  private readonly observer: PoolObserver;
  private monitor: TimerHandle | undefined;
  /** Conditions someone is waiting on (drain, shutdown), re-checked whenever an attempt ends. */
  private readonly settleWaiters = new Set<() => void>();
  private accepting = true;
  private pumping = false;
  private pumpAgain = false;
  private staleReports = 0;

  constructor(
    private readonly deps: PoolDeps,
    options: Partial<PoolOptions> = {},
  ) {
    this.options = { ...DEFAULT_POOL_OPTIONS, ...options };
    this.log = deps.log ?? silentLog;
    this.observer = deps.observer ?? {};
    this.agents = new AgentRegistry(deps.clock, this.log, this.observer);
    this.waiters = new TaskWaiters(deps.clock);
    this.affinity = new LRUCache({ max: this.options.maxAffinityKeys });
  }

  // ---- agents ------------------------------------------------------------------------------

  /** Register (or take over) an agent, then give it queued work. */
  register(reg: Registration): AgentRecord {
    const { agent, replaced } = this.agents.register(reg, this.deps.ids);
    if (replaced) replaced.channel.close('taken over by a new connection');
    this.schedulePump();
    return agent;
  }

  /** A heartbeat: refreshes liveness (a DEGRADED agent recovers) and records reported state and health. */
  heartbeat(agentId: string, report: { state?: ReportedState; health?: Health }): AgentRecord {
    const agent = this.agents.heartbeat(agentId, report);
    if (agent.inFlight.size < agent.capacity) this.schedulePump();
    return agent;
  }

  /** The connection of `sessionId` closed: if it still owns the agent, remove it and requeue its tasks. */
  disconnected(agentId: string, sessionId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.sessionId !== sessionId) return;
    this.removeAgent(agent, 'disconnect');
  }

  /** Stop giving an agent work (despawn, shutdown); resolves when its in-flight tasks are done or `timeoutMs` passes. */
  drain(agentId: string, timeoutMs: number): Promise<boolean> {
    const agent = this.agents.get(agentId);
    if (!agent) return Promise.resolve(true);
    this.agents.setDraining(agent, true);
    return this.until(() => !this.agents.get(agentId) || agent.inFlight.size === 0, timeoutMs);
  }

  /** Start the liveness monitor (DEGRADED after leaseTtlMs of silence, removal after the grace period). */
  start(): void {
    if (this.monitor) return;
    const every = Math.max(1, Math.min(this.options.heartbeatIntervalMs, this.options.leaseTtlMs) / 2);
    this.monitor = this.deps.clock.setInterval(() => this.checkLiveness(), every);
  }

  stop(): void {
    if (this.monitor) this.deps.clock.clearInterval(this.monitor);
    this.monitor = undefined;
  }

  /** One liveness pass; exposed for tests on a virtual clock. */
  checkLiveness(): void {
    const { degraded, expired } = this.agents.checkLiveness(this.options.leaseTtlMs, this.options.removalGraceMs);
    for (const a of degraded) this.log.warn({ agentId: a.agentId, silentMs: this.deps.clock.now() - a.lastHeartbeat }, 'agent missed heartbeats: DEGRADED');
    for (const a of expired) {
      this.log.warn({ agentId: a.agentId }, 'agent silent past the grace period: removing and requeueing its tasks');
      a.channel.close('missed heartbeats');
      this.removeAgent(a, 'agent_removed');
    }
  }

  // ---- tasks -------------------------------------------------------------------------------

  /** Submit a task: dispatched at once when an agent can take it, otherwise queued. */
  assign(input: AssignInput, submitter: Submitter = {}): { task: TaskRecord; deduplicated: boolean } {
    if (!this.accepting) throw new AppError('SHUTTING_DOWN', 'the pool is not accepting tasks');
    if (input.idempotencyKey !== undefined) {
      const existing = this.deps.store.findByIdempotencyKey(input.idempotencyKey);
      if (existing) return { task: existing, deduplicated: true };
    }
    const now = this.deps.clock.now();
    const task: TaskRecord = {
      taskId: this.deps.ids(),
      type: input.type,
      payload: input.payload ?? null,
      state: 'PENDING',
      priority: input.priority ?? 0,
      epoch: 0,
      attempts: [],
      maxAttempts: input.maxAttempts ?? this.options.defaultMaxAttempts,
      timeoutMs: input.timeoutMs ?? this.options.defaultTaskTimeoutMs,
      requiredCapabilities: [...new Set(input.requiredCapabilities ?? [])],
      preferredAgentId: input.preferredAgentId,
      affinityKey: input.affinityKey,
      idempotencyKey: input.idempotencyKey,
      strategy: input.strategy,
      cancelRequested: false,
      createdAt: now,
      traceId: input.traceId ?? this.deps.ids().replaceAll('-', ''),
    };
    const choice = this.choose(task, now, now);
    if (choice.kind !== 'agent' && this.queue.size >= this.options.maxQueue) {
      throw new AppError('QUEUE_FULL', `${this.queue.size} tasks are pending`, { maxQueue: this.options.maxQueue });
    }
    this.deps.store.insert(task);
    if (submitter.notify) this.subscribers.set(task.taskId, submitter.notify);
    this.changed(task, undefined);
    if (choice.kind === 'agent') this.dispatch(task, choice.agent);
    else this.enqueue(task, choice.kind === 'hold' ? choice.until : undefined);
    return { task: this.deps.store.get(task.taskId)!, deduplicated: false };
  }

  get(taskId: string): TaskRecord {
    const task = this.deps.store.get(taskId);
    if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`, { taskId });
    return task;
  }

  list(filter: TaskFilter, page: { limit: number; cursor?: string }): TaskPage {
    return this.deps.store.list(filter, page);
  }

  /** Resolve with the task once terminal; WAIT_TIMEOUT after timeoutMs. */
  async wait(taskId: string, timeoutMs = this.options.defaultWaitTimeoutMs): Promise<TaskRecord> {
    const task = this.get(taskId);
    if (isTerminal(task.state)) return task;
    return this.waiters.wait(taskId, timeoutMs, () => this.deps.store.get(taskId));
  }

  /** Cancel: a pending task at once; a running one is told to stop and ends CANCELLED when it answers or times out. */
  cancel(taskId: string): TaskRecord {
    const task = this.get(taskId);
    if (isTerminal(task.state)) throw new AppError('NOT_CANCELLABLE', `task ${taskId} is ${task.state}`, { taskId, state: task.state });
    if (task.state === 'PENDING') {
      this.unqueue(taskId);
      return this.finish(task, 'CANCELLED');
    }
    if (task.cancelRequested) return task;
    const next = { ...task, cancelRequested: true };
    this.deps.store.update(next);
    this.agents.get(task.agentId!)?.channel.notify('task.cancel', { taskId, epoch: task.epoch });
    this.log.info({ taskId, agentId: task.agentId, traceId: task.traceId }, 'task cancel requested');
    return next;
  }

  /** A task.progress report; ignored (and counted) unless it names the current epoch on the current agent. */
  progress(agentId: string, report: { taskId: string; epoch: number; progress?: number; message?: string }): boolean {
    const run = this.running.get(report.taskId);
    if (!run || run.epoch !== report.epoch || run.agentId !== agentId) {
      this.staleReports++;
      this.observer.staleEpoch?.('progress');
      return false;
    }
    const task = this.deps.store.get(report.taskId)!;
    this.deps.store.update({ ...task, progress: report.progress ?? task.progress, progressMessage: report.message ?? task.progressMessage });
    return true;
  }

  // ---- pool-wide ---------------------------------------------------------------------------

  /** Queue depth, by priority, and the oldest pending task's wait. */
  queueStats(): { depth: number; byPriority: Record<string, number>; oldestWaitMs: number } {
    const oldest = this.queue.oldestEnqueuedAt();
    return { depth: this.queue.size, byPriority: this.queue.byPriority(), oldestWaitMs: oldest === undefined ? 0 : this.deps.clock.now() - oldest };
  }

  /** The pool at a glance (pool.status without latency, which the metrics hold). */
  snapshot(): {
    agents: { total: number; byState: Record<string, number> };
    capacity: { total: number; used: number };
    utilization: number;
    queue: { depth: number; byPriority: Record<string, number>; oldestWaitMs: number };
    tasks: { byState: Record<TaskState, number> };
    isolation: { ok: boolean };
    accepting: boolean;
  } {
    const byState: Record<string, number> = { IDLE: 0, ANALYZING: 0, EXECUTING: 0, DEGRADED: 0, DRAINING: 0 };
    let total = 0;
    let used = 0;
    for (const a of this.agents.all()) {
      byState[a.lastState] = (byState[a.lastState] ?? 0) + 1;
      total += a.capacity;
      used += a.inFlight.size;
    }
    return {
      agents: { total: this.agents.size, byState },
      capacity: { total, used },
      utilization: total === 0 ? 0 : used / total,
      queue: this.queueStats(),
      tasks: { byState: this.deps.store.countByState() },
      isolation: { ok: this.agents.sharedContextWindows().length === 0 },
      accepting: this.accepting,
    };
  }

  /** Every live agent's context window, and any window held twice (never, by construction). */
  isolationReport(): { ok: boolean; agents: { agentId: string; contextWindowId: string; pid?: number }[]; sharedContextWindowIds: string[] } {
    const shared = this.agents.sharedContextWindows();
    const agents = [...this.agents.all()].map((a) => ({ agentId: a.agentId, contextWindowId: a.contextWindowId, ...(a.pid !== undefined ? { pid: a.pid } : {}) }));
    return { ok: shared.length === 0, agents, sharedContextWindowIds: shared };
  }

  /** Reports with stale epochs ignored so far. */
  get staleEpochReports(): number {
    return this.staleReports;
  }

  /** Attempts running now. */
  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Stop taking tasks, let running attempts finish for up to `drainTimeoutMs`, then send
   * task.cancel for what still runs and put those tasks back to PENDING (at-least-once: a durable
   * store would run them after a restart). Pending tasks stay PENDING.
   */
  async shutdown(drainTimeoutMs: number): Promise<{ drained: boolean; requeued: number }> {
    this.accepting = false;
    for (const a of this.agents.all()) this.agents.setDraining(a, true);
    const drained = await this.until(() => this.running.size === 0, drainTimeoutMs);
    let requeued = 0;
    for (const [taskId, run] of [...this.running]) {
      const agent = this.agents.get(run.agentId);
      agent?.channel.notify('task.cancel', { taskId, epoch: run.epoch });
      this.endAttempt(taskId, run);
      this.requeue(this.deps.store.get(taskId)!, 'cancelled', 'shutdown');
      requeued++;
    }
    this.stop();
    return { drained, requeued };
  }

  // ---- dispatch ----------------------------------------------------------------------------

  /** Where a task should go now: an agent, a hold for its sticky agent, or nowhere yet. */
  private choose(task: TaskRecord, now: number, queuedSince: number): Choice {
    const required = task.requiredCapabilities;
    if (task.preferredAgentId !== undefined) {
      const preferred = this.agents.get(task.preferredAgentId);
      if (preferred && canTake(preferred, required)) return { kind: 'agent', agent: preferred };
    }
    if (task.affinityKey !== undefined) {
      const sticky = this.agents.get(this.affinity.get(task.affinityKey) ?? '');
      if (sticky && canTake(sticky, required)) return { kind: 'agent', agent: sticky };
      const until = queuedSince + this.options.affinityWaitMs;
      if (sticky && !sticky.draining && !sticky.degraded && hasAll(sticky, required) && now < until) return { kind: 'hold', until };
    }
    const free = this.agents.free(required);
    if (free.length === 0) return { kind: 'none' };
    const pick = this.deps.router.select(
      free.map((a) => ({ agentId: a.agentId, inFlight: a.inFlight.size, capacity: a.capacity })),
      task.strategy ?? this.options.defaultStrategy,
    );
    return { kind: 'agent', agent: this.agents.get(pick.agentId)! };
  }

  private dispatch(task: TaskRecord, agent: AgentRecord): void {
    const now = this.deps.clock.now();
    const next = withAttemptStarted(task, agent.agentId, now);
    const queued = this.queuedAt.get(task.taskId) ?? task.createdAt;
    this.queuedAt.delete(task.taskId);
    this.observer.queueWait?.((now - queued) / 1000);
    this.deps.store.update(next);
    this.agents.addTask(agent, task.taskId);
    if (task.affinityKey !== undefined) this.affinity.set(task.affinityKey, agent.agentId);
    const epoch = next.epoch;
    const timer = this.deps.clock.setTimeout(() => this.onTimeout(task.taskId, epoch), next.timeoutMs);
    this.running.set(task.taskId, { epoch, agentId: agent.agentId, startedAt: now, timer });
    this.changed(next, task.state);
    const attempt = next.attempts.length;
    agent.channel
      .runTask(
        { taskId: task.taskId, type: task.type, payload: task.payload, attempt, epoch, traceId: task.traceId, deadline: now + next.timeoutMs },
        next.timeoutMs + 1000,
      )
      .then(
        (result) => this.onOutcome(task.taskId, epoch, { result }),
        (error: unknown) => this.onOutcome(task.taskId, epoch, { error }),
      );
  }

  private onOutcome(taskId: string, epoch: number, outcome: { result?: unknown; error?: unknown }): void {
    const run = this.running.get(taskId);
    if (!run || run.epoch !== epoch) {
      this.staleReports++;
      this.observer.staleEpoch?.('result');
      return;
    }
    this.endAttempt(taskId, run);
    const task = this.deps.store.get(taskId)!;
    const err = outcome.error;
    if (task.cancelRequested) {
      this.finishAttempt(task, err === undefined ? 'completed' : 'cancelled', 'CANCELLED');
    } else if (err === undefined) {
      this.finishAttempt(task, 'completed', 'COMPLETED', { result: outcome.result ?? null });
    } else if (err instanceof AgentCallError && err.kind === 'disconnected') {
      this.lost(task, 'disconnect');
    } else if (err instanceof AgentCallError && err.kind === 'timeout') {
      this.failed(task, 'timeout', appError('TASK_TIMEOUT', `no answer within ${task.timeoutMs} ms`), true);
    } else {
      const remote = err instanceof AgentCallError ? err.remote : undefined;
      const error: TaskError = remote ?? { code: -32603, message: 'agent call failed' };
      const retryable = (remote?.data as { retryable?: unknown } | undefined)?.retryable !== false;
      this.failed(task, 'failed', error, retryable);
    }
    this.schedulePump();
  }

  private onTimeout(taskId: string, epoch: number): void {
    const run = this.running.get(taskId);
    if (!run || run.epoch !== epoch) return;
    this.endAttempt(taskId, run);
    this.agents.get(run.agentId)?.channel.notify('task.cancel', { taskId, epoch });
    const task = this.deps.store.get(taskId)!;
    if (task.cancelRequested) this.finishAttempt(task, 'cancelled', 'CANCELLED');
    else this.failed(task, 'timeout', appError('TASK_TIMEOUT', `attempt ${task.attempts.length} exceeded ${task.timeoutMs} ms`), true);
    this.schedulePump();
  }

  /** A failed or timed-out attempt: retry after a backoff if attempts remain, else FAILED. */
  private failed(task: TaskRecord, outcome: 'failed' | 'timeout', error: TaskError, retryable: boolean): void {
    const failures = failuresOf(task) + 1;
    if (!retryable || failures >= task.maxAttempts) {
      this.finishAttempt(task, outcome, 'FAILED', { error });
      return;
    }
    const next = withAttemptFinished(task, this.deps.clock.now(), outcome, 'PENDING', { error });
    this.deps.store.update(next);
    this.changed(next, task.state);
    this.observer.requeued?.(next, outcome === 'timeout' ? 'timeout' : 'retry');
    const delay = retryDelayMs(failures, this.options.retryBaseDelayMs, this.options.retryMaxDelayMs, this.deps.random);
    this.log.info({ taskId: task.taskId, traceId: task.traceId, attempt: task.attempts.length, delayMs: delay, outcome }, 'task attempt failed; retrying');
    this.retryTimers.set(
      task.taskId,
      this.deps.clock.setTimeout(() => {
        this.retryTimers.delete(task.taskId);
        const current = this.deps.store.get(task.taskId);
        if (current?.state === 'PENDING') this.enqueue(current, undefined);
      }, delay),
    );
  }

  /** The agent went away mid-task: back to the queue at once (at-least-once), within the requeue limit. */
  private lost(task: TaskRecord, reason: RequeueReason): void {
    if (task.cancelRequested) {
      this.finishAttempt(task, 'disconnected', 'CANCELLED');
    } else if (requeuesOf(task) + 1 > this.options.maxRequeues) {
      this.finishAttempt(task, 'disconnected', 'FAILED', { error: appError('AGENT_LOST', `agents were lost ${requeuesOf(task) + 1} times`) });
    } else {
      this.requeue(task, 'disconnected', reason);
    }
  }

  private requeue(task: TaskRecord, outcome: 'disconnected' | 'cancelled', reason: RequeueReason): void {
    const next = withAttemptFinished(task, this.deps.clock.now(), outcome, 'PENDING');
    this.deps.store.update(next);
    this.changed(next, task.state);
    this.observer.requeued?.(next, reason);
    this.log.info({ taskId: task.taskId, agentId: task.agentId, traceId: task.traceId, reason }, 'task requeued');
    this.enqueue(next, undefined);
  }

  private finishAttempt(task: TaskRecord, outcome: Parameters<typeof withAttemptFinished>[2], state: TaskState, extra?: { result?: unknown; error?: TaskError }): void {
    this.finish(withAttemptFinished(task, this.deps.clock.now(), outcome, state, extra), state, task.state);
  }

  /** Move a task to a terminal state, once. */
  private finish(task: TaskRecord, state: TaskState, previous: TaskState = task.state): TaskRecord {
    const next: TaskRecord = { ...task, state, finishedAt: task.finishedAt ?? this.deps.clock.now() };
    this.deps.store.update(next);
    this.changed(next, previous);
    this.subscribers.delete(next.taskId);
    this.waiters.finished(next);
    return next;
  }

  private endAttempt(taskId: string, run: Running): void {
    this.running.delete(taskId);
    this.deps.clock.clearTimeout(run.timer);
    const agent = this.agents.get(run.agentId);
    if (agent) this.agents.removeTask(agent, taskId);
    this.observer.attemptRan?.((this.deps.clock.now() - run.startedAt) / 1000);
    for (const check of [...this.settleWaiters]) check();
  }

  private removeAgent(agent: AgentRecord, reason: RequeueReason): void {
    this.agents.remove(agent);
    for (const taskId of [...agent.inFlight]) {
      const run = this.running.get(taskId);
      if (!run || run.agentId !== agent.agentId) continue;
      this.endAttempt(taskId, run);
      this.lost(this.deps.store.get(taskId)!, reason);
    }
    this.schedulePump();
  }

  private enqueue(task: TaskRecord, holdUntil: number | undefined): void {
    const now = this.deps.clock.now();
    if (!this.queuedAt.has(task.taskId)) this.queuedAt.set(task.taskId, now);
    this.queue.enqueue({ taskId: task.taskId, priority: task.priority, requiredCapabilities: task.requiredCapabilities, enqueuedAt: now });
    if (holdUntil !== undefined) this.wakeAt(task.taskId, holdUntil);
    this.schedulePump();
  }

  private unqueue(taskId: string): void {
    this.queue.remove(taskId);
    this.queuedAt.delete(taskId);
    for (const timers of [this.retryTimers, this.holdTimers]) {
      const t = timers.get(taskId);
      if (t) this.deps.clock.clearTimeout(t);
      timers.delete(taskId);
    }
  }

  private wakeAt(taskId: string, at: number): void {
    if (this.holdTimers.has(taskId)) return;
    const timer = this.deps.clock.setTimeout(() => {
      this.holdTimers.delete(taskId);
      this.schedulePump();
    }, Math.max(0, at - this.deps.clock.now()));
    this.holdTimers.set(taskId, timer);
  }

  /** Coalesce dispatch passes: one pass runs after the current call stack, however many events asked. */
  private schedulePump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pump();
  }

  /** Give queued tasks to free agents, in priority order, until no queued task can be placed. */
  private pump(): void {
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.queue.size > 0 && this.dispatchNextQueued()) {
          /* keep going while something was placed */
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  /** Place the first queued task that can go somewhere now; false when none can. */
  private dispatchNextQueued(): boolean {
    if (!this.agents.anyFree()) return false;
    const now = this.deps.clock.now();
    for (const entry of this.queue.inOrder((caps: readonly string[]) => this.agents.free(caps).length > 0)) {
      const task = this.deps.store.get(entry.taskId)!;
      const choice = this.choose(task, now, this.queuedAt.get(task.taskId) ?? task.createdAt);
      if (choice.kind === 'agent') {
        this.queue.remove(entry.taskId);
        this.holdTimers.delete(entry.taskId);
        this.dispatch(task, choice.agent);
        return true;
      }
      if (choice.kind === 'hold') this.wakeAt(entry.taskId, choice.until);
    }
    return false;
  }

  private changed(task: TaskRecord, previous: TaskState | undefined): void {
    if (task.state !== previous) {
      this.log.info({ taskId: task.taskId, agentId: task.agentId, traceId: task.traceId, state: task.state, previous, attempt: task.attempts.length }, 'task state');
    }
    this.observer.taskState?.(task, previous);
    const notify = this.subscribers.get(task.taskId);
    notify?.('task.updated', {
      taskId: task.taskId,
      state: task.state,
      agentId: task.agentId,
      attempt: task.attempts.length,
      epoch: task.epoch,
      ...(task.result !== undefined ? { result: task.result } : {}),
      ...(task.error ? { error: task.error } : {}),
    });
  }

  /** Resolve true when `done()` holds (re-checked whenever an attempt ends), or with done() after `timeoutMs`. */
  private until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.settleWaiters.delete(check);
        this.deps.clock.clearTimeout(deadline);
        resolve(true);
      };
      const deadline = this.deps.clock.setTimeout(() => {
        this.settleWaiters.delete(check);
        resolve(done());
      }, timeoutMs);
      this.settleWaiters.add(check);
    });
  }
}

function isTerminal(state: TaskState): boolean {
  return state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED';
}

function hasAll(agent: AgentRecord, required: readonly string[]): boolean {
  return required.every((c) => agent.capabilities.has(c));
}

function appError(name: 'TASK_TIMEOUT' | 'AGENT_LOST', message: string): TaskError {
  return { code: new AppError(name).code, message };
}
