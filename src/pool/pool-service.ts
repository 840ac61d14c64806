import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { Random } from '../random.js';
import type { AgentRouter } from '../routing/agent-router.js';
import { TERMINAL_STATES } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import { AgentRegistry, type Registration } from './agent-registry.js';
import type { AgentRecord, Health, ReportedState } from './agent-record.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from './pool-options.js';
import type { PoolObserver } from './pool-observer.js';
import { openGate, type AgentGate } from './agent-gate.js';
import { PendingTasks } from './pending-tasks.js';
import { AgentSelector } from './agent-selector.js';
import { Conditions } from './conditions.js';
import { isolationReport, poolSnapshot, type IsolationReport, type PoolSnapshot } from './pool-snapshot.js';
import type { AssignInput } from './task-records.js';
import type { TaskFilter, TaskPage, TaskRecord, TaskStore } from './task-store.js';
import { TaskWaiters } from './task-waiters.js';
import { TaskEvents } from './task-events.js';
import { LoadForecaster, type LoadForecast } from './load-forecaster.js';
import { agentLoadOf, fleetLoadOf } from './fleet-load.js';
import { LivenessMonitor } from './liveness-monitor.js';
import { AttemptDispatcher } from './attempt-dispatcher.js';
import { OperatorActions } from './operator-actions.js';
import { AgentCallError } from '../agent-call-error.js';
import type { TaskRef } from './awaiting-agents.js';
import { Reattachment, type UnfinishedTasks } from './reattachment.js';
import { TaskActions, type Submitter } from './task-actions.js';

export type { AssignInput } from './task-records.js';
export type { TaskRef } from './awaiting-agents.js';
export type { UnfinishedTasks } from './reattachment.js';
export type { Submitter } from './task-actions.js';

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
  private readonly events: TaskEvents;
  private readonly selector: AgentSelector;
  private readonly waiters: TaskWaiters;
  private readonly log: Log;
  private readonly observer: PoolObserver;
  private readonly gate: AgentGate;
  private readonly liveness: LivenessMonitor;
  /** Conditions someone is waiting on (drain, shutdown), re-checked whenever an attempt ends. */
  private readonly conditions: Conditions;
  private readonly dispatcher: AttemptDispatcher;
  /** What callers do to tasks: submit, cancel, retry. */
  private readonly tasks: TaskActions;
  /** What an operator does to one agent (agent.update / drain / remove) and reads of one (agent.get). */
  readonly operator: OperatorActions;
  /** Arrival and throughput rates behind forecastLoad. */
  private readonly forecaster: LoadForecaster;
  /** After a restart: IN_PROGRESS tasks waiting for their agent to reattach. */
  private readonly reattachment: Reattachment;

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
    const { clock, ids, random, router, store } = deps;
    const { agents, gate, observer, forecaster, conditions, log, events, pending, selector } = this;
    this.dispatcher = new AttemptDispatcher(
      { clock, random, router, store, log, observer, gate, agents, pending, events, selector, forecaster, conditions },
      this.options,
    );
    this.liveness = new LivenessMonitor({ clock, log, agents, dispatcher: this.dispatcher }, this.options);
    this.operator = new OperatorActions({ agents, store, log, observer, conditions, dispatcher: this.dispatcher });
    this.reattachment = new Reattachment({ clock, log, store, events, pending, dispatcher: this.dispatcher }, this.options.reattachGraceMs);
    this.tasks = new TaskActions(
      { clock, ids, store, log, observer, agents, pending, events, selector, forecaster, dispatcher: this.dispatcher },
      this.options,
    );
    gate.onReopen?.(() => this.reconsider());
  }

  // ---- recovery after a restart --------------------------------------------------------------

  /**
   * Take back the unfinished tasks of a store after a restart (before any agent registers):
   * PENDING ones are queued in the order given; IN_PROGRESS ones wait reattachGraceMs for their
   * agent to register again reporting them (see registerWithRunning), then are requeued.
   */
  recover(tasks: UnfinishedTasks): void {
    this.reattachment.recover(tasks);
  }

  /** IN_PROGRESS tasks of the last run still waiting for their agent. */
  get awaitingReattach(): number {
    return this.reattachment.size;
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
      this.dispatcher.requeueRunning(replaced, 'takeover');
    }
    const { reattached, dropped } = this.reattachment.claim(agent, running);
    this.schedulePump();
    return { agent, reattached, dropped };
  }

  /**
   * task.report: the result or error of an attempt whose task.run request can no longer be
   * answered (the daemon restarted, or the connection changed). Accepted only for the current epoch
   * on the reporting agent; anything else is stale, counted and ignored.
   */
  report(agentId: string, report: TaskReport): boolean {
    if (!this.dispatcher.isCurrent(agentId, report, 'result')) return false;
    const answer = report.error !== undefined ? { error: new AgentCallError('remote', report.error.message, report.error) } : { result: report.result ?? null };
    this.dispatcher.onOutcome(report.taskId, report.epoch, answer);
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
    if (!agent || agent.sessionId !== sessionId || this.dispatcher.detached) return;
    this.dispatcher.removeAgent(agent, 'disconnect');
  }

  /**
   * The connection of `sessionId` was lost with the replica that relayed it (cluster mode): the
   * agent is removed, but its running attempts stay IN_PROGRESS and wait reattachGraceMs for it to
   * register again elsewhere reporting them (registerWithRunning), as after a restart; then they are requeued.
   */
  disconnectedAwaitingReattach(agentId: string, sessionId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.sessionId !== sessionId || this.dispatcher.detached) return;
    this.reattachment.awaitLost(agentId, this.dispatcher.release(agent));
  }

  /** Stop giving an agent work (despawn, shutdown); resolves when its in-flight tasks are done or `timeoutMs` passes. */
  drain(agentId: string, timeoutMs: number): Promise<boolean> {
    const agent = this.agents.get(agentId);
    if (!agent) return Promise.resolve(true);
    this.agents.setDraining(agent, true);
    return this.conditions.until(() => !this.agents.get(agentId) || agent.inFlight.size === 0, timeoutMs);
  }

  /** Start the liveness monitor (DEGRADED after leaseTtlMs of silence, removal after the grace period). */
  start(): void {
    this.liveness.start();
  }

  stop(): void {
    this.liveness.stop();
  }

  /** One liveness pass; exposed for tests on a virtual clock. */
  checkLiveness(): void {
    this.liveness.check();
  }

  // ---- tasks -------------------------------------------------------------------------------

  /** Submit a task: dispatched at once when an agent can take it, otherwise queued. */
  assign(input: AssignInput, submitter: Submitter = {}): { task: TaskRecord; deduplicated: boolean } {
    return this.tasks.assign(input, submitter);
  }

  get(taskId: string): TaskRecord {
    return this.tasks.requireTask(taskId);
  }

  /** A page of tasks, bounded by count and by maxListBytes of JSON (the first task is always included). */
  list(filter: TaskFilter, page: { limit: number; cursor?: string }): TaskPage {
    return this.deps.store.list(filter, { ...page, maxBytes: this.options.maxListBytes });
  }

  /** Resolve with the task once terminal; WAIT_TIMEOUT after timeoutMs. */
  async wait(taskId: string, timeoutMs = this.options.defaultWaitTimeoutMs): Promise<TaskRecord> {
    const task = this.get(taskId);
    if (TERMINAL_STATES.has(task.state)) return task;
    return this.waiters.wait(taskId, timeoutMs, () => this.deps.store.get(taskId));
  }

  /** Cancel: a pending task at once; a running one is told to stop and ends CANCELLED when it answers or times out. */
  cancel(taskId: string): TaskRecord {
    return this.tasks.cancel(taskId);
  }

  /**
   * Run a FAILED or CANCELLED task again (task.retry): the one way a terminal task changes. Same
   * id, attempts kept, a fresh maxAttempts budget; it is queued (or dispatched) like a new task.
   */
  retry(taskId: string): TaskRecord {
    return this.tasks.retry(taskId);
  }

  /** A task.progress report; ignored (and counted) unless it names the current epoch on the current agent. */
  progress(agentId: string, report: { taskId: string; epoch: number; progress?: number; message?: string }): boolean {
    if (!this.dispatcher.isCurrent(agentId, report, 'progress')) return false;
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
    const snap = poolSnapshot(this.agents, this.pending.stats(), this.deps.store.countByState(), this.tasks.accepting);
    if (this.deps.storeName !== undefined) snap.store = { name: this.deps.storeName, awaitingReattach: this.reattachment.size };
    return snap;
  }

  /** Every live agent's context window, and any window held twice (never, by construction). */
  isolationReport(): IsolationReport {
    return isolationReport(this.agents);
  }

  /** Reports with stale epochs ignored so far. */
  get staleEpochReports(): number {
    return this.dispatcher.staleReports;
  }

  /** Attempts running now. */
  get runningCount(): number {
    return this.dispatcher.running.size;
  }

  /**
   * Stop taking tasks, let running attempts finish for up to `drainTimeoutMs`, then send
   * task.cancel for what still runs and put those tasks back to PENDING (at-least-once: a durable
   * store would run them after a restart). Pending tasks stay PENDING. With `detach` (the daemon
   * stopping on a durable store) running attempts are left alone instead: no task.cancel, still
   * IN_PROGRESS in the store, so their agents reattach them after the restart.
   */
  async shutdown(drainTimeoutMs: number, options: { detach?: boolean } = {}): Promise<{ drained: boolean; requeued: number; detached?: number }> {
    this.tasks.accepting = false;
    for (const a of this.agents.all()) this.agents.setDraining(a, true);
    const drained = await this.conditions.until(() => this.dispatcher.running.size === 0, drainTimeoutMs);
    if (options.detach) {
      // A durable store keeps these IN_PROGRESS: after the restart they wait for their agents to reattach.
      const detached = this.dispatcher.running.size;
      this.dispatcher.detached = true;
      this.reattachment.stop();
      this.stop();
      return { drained, requeued: 0, detached };
    }
    const requeued = this.dispatcher.cancelRunning();
    this.reattachment.stop();
    this.stop();
    return { drained, requeued };
  }

  /** Someone outside the pool changed who may take work (a circuit breaker went half-open): try dispatching. */
  reconsider(): void {
    this.schedulePump();
  }

  private schedulePump(): void {
    this.dispatcher.schedulePump();
  }
}
