import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { Random } from '../random.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { TaskState } from '../schemas/task.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { AgentRegistry, type AgentChanges, type Registration } from './agent-registry.js';
import type { AgentRecord, Health, ReportedState } from './agent-record.js';
import { DEFAULT_POOL_OPTIONS, MAX_REMOVAL_WAIT_MS, type PoolOptions } from './pool-options.js';
import type { PoolObserver, RequeueReason } from './pool-observer.js';
import { openGate, type AgentGate } from './agent-gate.js';
import { PendingTasks } from './pending-tasks.js';
import { DispatchLoop } from './dispatch-loop.js';
import { AgentSelector } from './agent-selector.js';
import { Conditions } from './conditions.js';
import { isolationReport, poolSnapshot, type IsolationReport, type PoolSnapshot } from './pool-snapshot.js';
import { newTask, withAttemptStarted, withRetry, type AssignInput } from './task-records.js';

export type { AssignInput } from './task-records.js';
import type { TaskFilter, TaskPage, TaskRecord, TaskStore } from './task-store.js';
import { TaskWaiters } from './task-waiters.js';
import { TaskEvents, payloadBytesOf } from './task-events.js';
import { LoadForecaster, type LoadForecast } from './load-forecaster.js';
import { agentLoadOf, fleetLoadOf } from './fleet-load.js';
import { RunningAttempts } from './running-attempts.js';
import { AttemptOutcomes, observedOutcome } from './attempt-outcomes.js';
import { AgentCallError } from '../agent-call-error.js';
import { AwaitingAgents, type TaskRef } from './awaiting-agents.js';

export type { TaskRef } from './awaiting-agents.js';

/** The unfinished tasks a restarted daemon found in its store (see stores/recovered-tasks.ts). */
export interface UnfinishedTasks {
  /** PENDING, in dispatch order. */
  pending: readonly TaskRecord[];
  /** IN_PROGRESS: they wait for their agent to reattach. */
  inProgress: readonly TaskRecord[];
}

/** A result or error an agent delivers by task.report (the request that asked for it is gone). */
export interface TaskReport extends TaskRef {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface PoolDeps {
  clock: Clock;
  ids: IdGenerator;
  random: Random;
  router: AgentRouter;
  store: TaskStore;
  log?: Log;
  observer?: PoolObserver;
  /** Per-agent circuit breakers; default: none. */
  gate?: AgentGate;
  /** What the task store is, as pool.status names it (`sqlite:<path>`, `memory`). */
  storeName?: string;
}

/** Who submitted a task and, if they asked, how to tell them about every state change. */
export interface Submitter {
  notify?: (method: string, params: object) => void;
}

/**
 * The agent pool and the task queue. Single-threaded and synchronous in its bookkeeping, so the
 * invariants hold by construction: an agent never holds more tasks than its capacity, a task has
 * at most one running attempt (its epoch), terminal states never change, and every task that is
 * not terminal is either queued, waiting out a retry delay, or running on a live agent.
 */
export class PoolService {
  readonly options: Readonly<PoolOptions>;
  readonly agents: AgentRegistry;
  private readonly pending: PendingTasks;
  private readonly running: RunningAttempts;
  /** What becomes of a task when its attempt ends (retry, requeue, terminal state). */
  private readonly outcomes: AttemptOutcomes;
  private readonly events: TaskEvents;
  private readonly selector: AgentSelector;
  private readonly waiters: TaskWaiters;
  private readonly log: Log;
  private readonly observer: PoolObserver;
  private readonly gate: AgentGate;
  private monitor: TimerHandle | undefined;
  /** Conditions someone is waiting on (drain, shutdown), re-checked whenever an attempt ends. */
  private readonly conditions: Conditions;
  private accepting = true;
  /** Stopped for a restart on a durable store: closing connections no longer requeue what their agents run. */
  private detached = false;
  private readonly loop = new DispatchLoop(() => this.pending.size > 0 && this.dispatchNextQueued());
  private staleReports = 0;
  /** Arrival and throughput rates behind forecastLoad. */
  private readonly forecaster: LoadForecaster;
  /** After a restart: IN_PROGRESS tasks waiting for their agent to reattach. */
  private readonly awaiting: AwaitingAgents;

  constructor(
    private readonly deps: PoolDeps,
    options: Partial<PoolOptions> = {},
  ) {
    this.options = { ...DEFAULT_POOL_OPTIONS, ...options };
    this.log = deps.log ?? silentLog;
    this.observer = deps.observer ?? {};
    this.gate = deps.gate ?? openGate;
    this.agents = new AgentRegistry(deps.clock, this.log, this.observer, this.gate);
    this.waiters = new TaskWaiters(deps.clock);
    this.events = new TaskEvents(this.log, this.observer, this.waiters);
    this.pending = new PendingTasks(deps.clock, () => this.schedulePump(), {
      started: (taskId) => {
        deps.router.holdStarted();
        this.observer.holdStarted?.(taskId);
      },
      ended: (taskId, heldMs) => {
        deps.router.holdEnded(heldMs);
        this.observer.holdEnded?.(taskId, heldMs / 1000);
      },
    });
    this.conditions = new Conditions(deps.clock);
    this.selector = new AgentSelector(this.agents, deps.router, this.options);
    this.forecaster = new LoadForecaster(this.options.forecaster);
    const { clock, random, router, store } = deps;
    const { agents, gate, observer, forecaster, conditions, log, events, pending } = this;
    this.running = new RunningAttempts({ clock, agents, gate, router, observer, forecaster, queued: () => pending.size, conditions });
    this.outcomes = new AttemptOutcomes(
      { clock, random, store, events, log, observer, pending, enqueue: (task) => this.enqueue(task, undefined) },
      this.options,
    );
    this.awaiting = new AwaitingAgents(clock, (taskIds) => this.orphansExpired(taskIds));
  }

  // ---- recovery after a restart --------------------------------------------------------------

  /**
   * Take back the unfinished tasks of a store after a restart (before any agent registers):
   * PENDING ones are queued in the order given; IN_PROGRESS ones wait reattachGraceMs for their
   * agent to register again reporting them (see registerWithRunning), then are requeued.
   */
  recover(tasks: UnfinishedTasks): void {
    for (const task of tasks.pending) {
      this.events.held(task);
      this.pending.enqueue(task, undefined);
    }
    for (const task of tasks.inProgress) this.events.held(task);
    this.awaiting.await(tasks.inProgress, this.options.reattachGraceMs);
    if (tasks.pending.length + tasks.inProgress.length > 0) {
      this.log.info(
        { pending: tasks.pending.length, inProgress: tasks.inProgress.length, graceMs: this.options.reattachGraceMs },
        'recovered unfinished tasks',
      );
    }
    this.schedulePump();
  }

  /** IN_PROGRESS tasks of the last run still waiting for their agent. */
  get awaitingReattach(): number {
    return this.awaiting.size;
  }

  // ---- agents ------------------------------------------------------------------------------

  /** Register (or take over) an agent, then give it queued work. A takeover requeues what the old connection ran. */
  register(reg: Registration): AgentRecord {
    return this.registerWithRunning(reg, []).agent;
  }

  /**
   * Register, reattaching the attempts the agent reports it still runs (after a daemon restart):
   * those the store holds as IN_PROGRESS on this agent with the same epoch are bound to it again
   * (their result comes by task.report); every other one is in `dropped` (the agent must stop it).
   * Its waiting tasks it does not report are requeued at once. Then it gets queued work.
   */
  registerWithRunning(reg: Registration, running: readonly TaskRef[]): { agent: AgentRecord; reattached: TaskRef[]; dropped: TaskRef[] } {
    const { agent, replaced } = this.agents.register(reg, this.deps.ids);
    if (replaced) {
      replaced.channel.close('taken over by a new connection');
      this.requeueRunning(replaced, 'takeover');
    }
    const { bind, drop, lost } = this.awaiting.claim(agent.agentId, running);
    for (const ref of bind) this.rebind(ref, agent);
    for (const taskId of lost) this.outcomes.lost(this.deps.store.get(taskId)!, 'restart');
    if (bind.length + drop.length + lost.length > 0) {
      this.log.info({ agentId: agent.agentId, reattached: bind.length, dropped: drop.length, requeued: lost.length }, 'agent reattached after a restart');
    }
    this.schedulePump();
    return { agent, reattached: bind, dropped: drop };
  }

  /**
   * task.report: the result or error of an attempt whose task.run request can no longer be
   * answered (the daemon restarted, or the connection changed). Accepted only for the current epoch
   * on the reporting agent; anything else is stale, counted and ignored.
   */
  report(agentId: string, report: TaskReport): boolean {
    const run = this.running.get(report.taskId);
    if (!run || run.epoch !== report.epoch || run.agentId !== agentId) {
      this.staleReports++;
      this.observer.staleEpoch?.('result');
      return false;
    }
    const answer = report.error !== undefined ? { error: new AgentCallError('remote', report.error.message, report.error) } : { result: report.result ?? null };
    this.onOutcome(report.taskId, report.epoch, answer);
    return true;
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
    if (!agent || agent.sessionId !== sessionId || this.detached) return;
    this.removeAgent(agent, 'disconnect');
  }

  /**
   * The connection of `sessionId` was lost with the replica that relayed it (cluster mode): the
   * agent is removed, but its running attempts stay IN_PROGRESS and wait reattachGraceMs for it to
   * register again elsewhere reporting them (registerWithRunning), as after a restart; then they are requeued.
   */
  disconnectedAwaitingReattach(agentId: string, sessionId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.sessionId !== sessionId || this.detached) return;
    const waiting: TaskRecord[] = [];
    for (const taskId of [...agent.inFlight]) {
      const run = this.running.get(taskId);
      if (!run || run.agentId !== agentId) continue;
      agent.inFlight.delete(taskId);
      this.running.end(taskId, run, 'lost');
      waiting.push(this.deps.store.get(taskId)!);
    }
    this.agents.remove(agent);
    this.gate.forget(agentId);
    this.awaiting.await(waiting, this.options.reattachGraceMs);
    if (waiting.length > 0)
      this.log.info(
        { agentId, tasks: waiting.length, graceMs: this.options.reattachGraceMs },
        'agent lost with its replica: its tasks wait for it to reattach',
      );
    this.schedulePump();
  }

  /** Stop giving an agent work (despawn, shutdown); resolves when its in-flight tasks are done or `timeoutMs` passes. */
  drain(agentId: string, timeoutMs: number): Promise<boolean> {
    const agent = this.agents.get(agentId);
    if (!agent) return Promise.resolve(true);
    this.agents.setDraining(agent, true);
    return this.conditions.until(() => !this.agents.get(agentId) || agent.inFlight.size === 0, timeoutMs);
  }

  // ---- operator actions on agents (agent.update / drain / remove) ----------------------------

  /** The agent, or UNKNOWN_AGENT. */
  requireAgent(agentId: string): AgentRecord {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AppError('UNKNOWN_AGENT', `agent ${agentId} is not registered`, { agentId });
    return agent;
  }

  /** Change capacity, capabilities or tags. A lower capacity takes effect as running tasks end; none is cut short. */
  updateAgent(agentId: string, changes: AgentChanges): AgentRecord {
    const agent = this.requireAgent(agentId);
    this.agents.update(agent, changes);
    this.observer.agentAdmin?.(agentId, 'update');
    this.schedulePump();
    return agent;
  }

  /** DRAINING from now on: no new work, what runs finishes. Lasts until the agent registers again. */
  drainAgent(agentId: string): AgentRecord {
    const agent = this.requireAgent(agentId);
    if (!agent.draining) {
      this.agents.setDraining(agent, true);
      this.log.info({ agentId, inFlight: agent.inFlight.size }, 'agent drained by operator');
      this.observer.agentAdmin?.(agentId, 'drain');
    }
    return agent;
  }

  /**
   * Remove an agent. Without `force`: drain it, and disconnect it once its running tasks have
   * ended (at once when it runs none). With `force`: requeue what it runs and disconnect it now.
   * `removed` says whether it is gone already.
   */
  removeByOperator(agentId: string, force: boolean): { removed: boolean; requeued: number } {
    const agent = this.requireAgent(agentId);
    const requeued = force ? agent.inFlight.size : 0;
    if (force || agent.inFlight.size === 0) {
      this.log.info({ agentId, requeued, force }, 'agent removed by operator');
      this.observer.agentAdmin?.(agentId, force ? 'force_remove' : 'remove');
      agent.channel.close('removed by an operator');
      this.removeAgent(agent, 'agent_removed');
      return { removed: true, requeued };
    }
    this.drainAgent(agentId);
    this.log.info({ agentId, inFlight: agent.inFlight.size }, 'agent will be removed once its running tasks end');
    this.observer.agentAdmin?.(agentId, 'remove');
    // Every attempt ends by its own timeout at the latest, so this never waits on the bound.
    void this.conditions
      .until(() => this.agents.get(agentId) !== agent || agent.inFlight.size === 0, MAX_REMOVAL_WAIT_MS)
      .then(() => {
        if (this.agents.get(agentId) !== agent) return;
        agent.channel.close('removed by an operator');
        this.removeAgent(agent, 'agent_removed');
      });
    return { removed: false, requeued: 0 };
  }

  /** The tasks an agent runs now, with the epoch and start of each running attempt. */
  runningOn(agentId: string): { taskId: string; type: string; epoch: number; startedAt: number }[] {
    const agent = this.agents.get(agentId);
    if (!agent) return [];
    const out: { taskId: string; type: string; epoch: number; startedAt: number }[] = [];
    for (const taskId of agent.inFlight) {
      const run = this.running.get(taskId);
      const task = this.deps.store.get(taskId);
      if (run && task) out.push({ taskId, type: task.type, epoch: run.epoch, startedAt: run.startedAt });
    }
    return out;
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
    this.forecaster.arrived(now, this.pending.size);
    const task = newTask(input, { taskId: this.deps.ids(), traceId: input.traceId ?? this.deps.ids().replaceAll('-', ''), now, defaults: this.options });
    const choice = this.selector.choose(task, now, now, { ahead: this.pending.size === 0 ? 0 : this.pending.aheadOf(task.priority) });
    if (choice.kind !== 'agent' && this.pending.size >= this.options.maxQueue) {
      throw new AppError('QUEUE_FULL', `${this.pending.size} tasks are pending`, { maxQueue: this.options.maxQueue });
    }
    const bytes = payloadBytesOf(task.payload);
    if (this.events.heldBytes + bytes > this.options.maxQueueBytes) {
      throw new AppError('QUEUE_FULL', `unfinished tasks hold ${this.events.heldBytes} payload bytes; this one adds ${bytes}`, {
        reason: 'queue bytes',
        heldBytes: this.events.heldBytes,
        payloadBytes: bytes,
        maxQueueBytes: this.options.maxQueueBytes,
      });
    }
    this.deps.store.insert(task);
    if (submitter.notify) this.events.subscribe(task.taskId, submitter.notify);
    this.changed(task, undefined);
    if (choice.kind === 'agent') this.dispatch(task, choice.agent);
    else {
      this.pending.enqueue(task, choice.kind === 'hold' ? choice.until : undefined);
      if (choice.kind === 'wait') this.pending.waitUntil(task.taskId, choice.until);
      this.schedulePump();
    }
    return { task: this.deps.store.get(task.taskId)!, deduplicated: false };
  }

  get(taskId: string): TaskRecord {
    const task = this.deps.store.get(taskId);
    if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`, { taskId });
    return task;
  }

  /** A page of tasks, bounded by count and by maxListBytes of JSON (the first task is always included). */
  list(filter: TaskFilter, page: { limit: number; cursor?: string }): TaskPage {
    return this.deps.store.list(filter, { ...page, maxBytes: this.options.maxListBytes });
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
      this.pending.remove(taskId);
      return this.outcomes.finish(task, 'CANCELLED');
    }
    if (task.cancelRequested) return task;
    const next = { ...task, cancelRequested: true };
    this.deps.store.update(next);
    this.agents.get(task.agentId!)?.channel.notify('task.cancel', { taskId, epoch: task.epoch });
    this.log.info({ taskId, agentId: task.agentId, traceId: task.traceId }, 'task cancel requested');
    return next;
  }

  /**
   * Run a FAILED or CANCELLED task again (task.retry): the one way a terminal task changes. Same
   * id, attempts kept, a fresh maxAttempts budget; it is queued (or dispatched) like a new task.
   */
  retry(taskId: string): TaskRecord {
    if (!this.accepting) throw new AppError('SHUTTING_DOWN', 'the pool is not accepting tasks');
    const task = this.get(taskId);
    if (task.state !== 'FAILED' && task.state !== 'CANCELLED') {
      throw new AppError('NOT_RETRYABLE', `task ${taskId} is ${task.state}; only FAILED or CANCELLED tasks can be retried`, { taskId, state: task.state });
    }
    if (this.pending.size >= this.options.maxQueue) {
      throw new AppError('QUEUE_FULL', `${this.pending.size} tasks are pending`, { maxQueue: this.options.maxQueue });
    }
    const next = withRetry(task, this.deps.clock.now());
    this.deps.store.reopen(next);
    this.log.info({ taskId, previous: task.state, retry: next.retry!.count, traceId: task.traceId }, 'task retried by operator');
    this.observer.retried?.(next);
    this.changed(next, task.state);
    this.enqueue(next, undefined);
    return this.deps.store.get(taskId)!;
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
    return this.pending.stats();
  }

  /**
   * The agent's load (inFlight / capacity) expected `horizonSeconds` from now, forecast from the
   * pool's own arrivals, throughput and queue (see load-forecaster.ts); undefined for an agent the
   * pool does not hold, or before any attempt has finished.
   */
  forecastLoad(agentId: string, horizonSeconds: number): LoadForecast | undefined {
    const agent = this.agents.get(agentId);
    return agent && this.forecaster.forecast(this.deps.clock.now(), fleetLoadOf(this.agents.all(), this.pending.size), agentLoadOf(agent), horizonSeconds);
  }

  /** The agent's in-flight ÷ capacity now (1 for a capacity of 0), undefined for an agent the pool does not hold. */
  utilization(agentId: string): number | undefined {
    const agent = this.agents.get(agentId);
    return agent && (agent.capacity > 0 ? Math.min(1, agent.inFlight.size / agent.capacity) : 1);
  }

  /** The pool at a glance (pool.status without latency, which the metrics hold). */
  snapshot(): PoolSnapshot {
    const snap = poolSnapshot(this.agents, this.pending.stats(), this.deps.store.countByState(), this.accepting);
    if (this.deps.storeName !== undefined) snap.store = { name: this.deps.storeName, awaitingReattach: this.awaiting.size };
    return snap;
  }

  /** Every live agent's context window, and any window held twice (never, by construction). */
  isolationReport(): IsolationReport {
    return isolationReport(this.agents);
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
   * store would run them after a restart). Pending tasks stay PENDING. With `detach` (the daemon
   * stopping on a durable store) running attempts are left alone instead: no task.cancel, still
   * IN_PROGRESS in the store, so their agents reattach them after the restart.
   */
  async shutdown(drainTimeoutMs: number, options: { detach?: boolean } = {}): Promise<{ drained: boolean; requeued: number; detached?: number }> {
    this.accepting = false;
    for (const a of this.agents.all()) this.agents.setDraining(a, true);
    const drained = await this.conditions.until(() => this.running.size === 0, drainTimeoutMs);
    if (options.detach) {
      // A durable store keeps these IN_PROGRESS: after the restart they wait for their agents to reattach.
      const detached = this.running.size;
      this.detached = true;
      this.awaiting.stop();
      this.stop();
      return { drained, requeued: 0, detached };
    }
    let requeued = 0;
    for (const [taskId, run] of this.running.entries()) {
      const agent = this.agents.get(run.agentId);
      agent?.channel.notify('task.cancel', { taskId, epoch: run.epoch });
      this.running.end(taskId, run, 'cancelled');
      this.outcomes.requeue(this.deps.store.get(taskId)!, 'cancelled', 'shutdown');
      requeued++;
    }
    this.awaiting.stop();
    this.stop();
    return { drained, requeued };
  }

  // ---- dispatch ----------------------------------------------------------------------------

  private dispatch(task: TaskRecord, agent: AgentRecord): void {
    const now = this.deps.clock.now();
    const next = withAttemptStarted(task, agent.agentId, now);
    const queued = this.pending.take(task.taskId) ?? task.createdAt;
    this.observer.queueWait?.((now - queued) / 1000);
    this.deps.store.update(next);
    const epoch = next.epoch;
    this.running.start(task.taskId, epoch, agent, { startedAt: now, timeoutMs: next.timeoutMs }, () => this.onTimeout(task.taskId, epoch));
    this.selector.served(task.affinityKey, agent.agentId);
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

  private onOutcome(taskId: string, epoch: number, answer: { result?: unknown; error?: unknown }): void {
    // Detached for a restart: the closing connection's failed requests are not outcomes (the attempt reattaches).
    if (this.detached && answer.error !== undefined) return;
    // Its agent was lost with its replica: the closed connection's failure is not an outcome (the attempt waits to reattach).
    if (answer.error !== undefined && this.awaiting.has(taskId)) return;
    const run = this.running.get(taskId);
    if (!run || run.epoch !== epoch) {
      this.staleReports++;
      this.observer.staleEpoch?.('result');
      return;
    }
    const task = this.deps.store.get(taskId)!;
    // An answer to a cancel says nothing about the agent's speed or health.
    this.running.end(taskId, run, task.cancelRequested ? 'cancelled' : observedOutcome(answer.error));
    this.outcomes.answered(task, answer);
    this.schedulePump();
  }

  private onTimeout(taskId: string, epoch: number): void {
    if (this.detached) return;
    const run = this.running.get(taskId);
    if (!run || run.epoch !== epoch) return;
    this.running.end(taskId, run, 'timeout');
    this.agents.get(run.agentId)?.channel.notify('task.cancel', { taskId, epoch });
    this.outcomes.timedOut(this.deps.store.get(taskId)!);
    this.schedulePump();
  }

  /** Bind an attempt that survived a restart to its agent again: it takes a slot and times out as it would have. */
  private rebind(ref: TaskRef, agent: AgentRecord): void {
    const task = this.deps.store.get(ref.taskId)!;
    const startedAt = task.attempts.at(-1)?.startedAt ?? this.deps.clock.now();
    const left = Math.max(1, startedAt + task.timeoutMs - this.deps.clock.now());
    this.running.start(ref.taskId, ref.epoch, agent, { startedAt, timeoutMs: left }, () => this.onTimeout(ref.taskId, ref.epoch));
  }

  /** The reattach grace period ended: the tasks whose agent did not come back are requeued. */
  private orphansExpired(taskIds: string[]): void {
    this.log.warn({ tasks: taskIds.length }, 'agents did not reattach within the grace period: requeueing their tasks');
    for (const taskId of taskIds) {
      const task = this.deps.store.get(taskId);
      if (task?.state === 'IN_PROGRESS') this.outcomes.lost(task, 'restart');
    }
    this.schedulePump();
  }

  private removeAgent(agent: AgentRecord, reason: RequeueReason): void {
    this.agents.remove(agent);
    this.requeueRunning(agent, reason);
    // After the lost attempts were reported, so none of them brings the entry back.
    this.gate.forget(agent.agentId);
    this.schedulePump();
  }

  /** The tasks an agent record was running go back to the queue (its connection is gone). */
  private requeueRunning(agent: AgentRecord, reason: RequeueReason): void {
    for (const taskId of [...agent.inFlight]) {
      const run = this.running.get(taskId);
      if (!run || run.agentId !== agent.agentId) continue;
      agent.inFlight.delete(taskId);
      this.running.end(taskId, run, 'lost');
      this.outcomes.lost(this.deps.store.get(taskId)!, reason);
    }
  }

  private enqueue(task: TaskRecord, holdUntil: number | undefined): void {
    this.pending.enqueue(task, holdUntil);
    this.schedulePump();
  }

  /** Someone outside the pool changed who may take work (a circuit breaker went half-open): try dispatching. */
  reconsider(): void {
    this.schedulePump();
  }

  private schedulePump(): void {
    this.loop.run();
  }

  /** Place the first queued task that can go somewhere now; false when none can. */
  private dispatchNextQueued(): boolean {
    if (!this.agents.anyFree()) return false;
    const now = this.deps.clock.now();
    // Tasks held for a better agent in this pass: each later task would wait behind them.
    let ahead = 0;
    for (const entry of this.pending.inOrder((caps: readonly string[]) => this.agents.free(caps).length > 0)) {
      const task = this.deps.store.get(entry.taskId)!;
      const choice = this.selector.choose(task, now, this.pending.waitingSince(task.taskId) ?? task.createdAt, {
        ahead,
        heldUntil: this.pending.heldUntil(task.taskId),
      });
      if (choice.kind === 'agent') {
        this.dispatch(task, choice.agent);
        return true;
      }
      if (choice.kind === 'hold') this.pending.holdUntil(entry.taskId, choice.until);
      if (choice.kind === 'wait') {
        this.pending.waitUntil(entry.taskId, choice.until);
        ahead++;
      }
    }
    return false;
  }

  private changed(task: TaskRecord, previous: TaskState | undefined): void {
    this.events.changed(task, previous);
  }
}

function isTerminal(state: TaskState): boolean {
  return state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED';
}
