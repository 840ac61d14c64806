import type { Log } from '../log.js';
import type { Random } from '../random.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { TaskState } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import type { AgentGate } from './agent-gate.js';
import type { AgentRecord } from './agent-record.js';
import type { AgentRegistry } from './agent-registry.js';
import type { AgentSelector } from './agent-selector.js';
import { AttemptOutcomes, observedOutcome } from './attempt-outcomes.js';
import type { TaskRef } from './awaiting-agents.js';
import type { Conditions } from './conditions.js';
import { DispatchLoop } from './dispatch-loop.js';
import type { LoadForecaster } from './load-forecaster.js';
import type { PendingTasks } from './pending-tasks.js';
import type { PoolObserver, RequeueReason } from './pool-observer.js';
import type { PoolOptions } from './pool-options.js';
import { RunningAttempts } from './running-attempts.js';
import type { TaskEvents } from './task-events.js';
import { withAttemptStarted } from './task-records.js';
import type { TaskRecord, TaskStore } from './task-store.js';

/** What AttemptDispatcher needs from the pool around it. */
export interface AttemptDispatcherDeps {
  clock: Clock;
  random: Random;
  router: AgentRouter;
  store: TaskStore;
  log: Log;
  observer: PoolObserver;
  gate: AgentGate;
  agents: AgentRegistry;
  pending: PendingTasks;
  events: TaskEvents;
  selector: AgentSelector;
  forecaster: LoadForecaster;
  conditions: Conditions;
}

/**
 * The pool's dispatch side: places queued tasks on agents, sends each attempt its task.run, and
 * turns what comes back (an answer, a timeout, a lost agent) into the task's next state.
 */
export class AttemptDispatcher {
  readonly running: RunningAttempts;
  /** What becomes of a task when its attempt ends (retry, requeue, terminal state). */
  readonly outcomes: AttemptOutcomes;
  /** Stopped for a restart on a durable store: closing connections no longer requeue what their agents run. */
  detached = false;
  /** Reports with stale epochs ignored so far. */
  staleReports = 0;
  /** Attempts released to wait for their agent elsewhere: their closed connection's failure is not an outcome. */
  private readonly released = new Set<string>();
  private readonly loop = new DispatchLoop(() => this.deps.pending.size > 0 && this.dispatchNextQueued());

  constructor(
    private readonly deps: AttemptDispatcherDeps,
    options: Readonly<PoolOptions>,
  ) {
    const { clock, random, router, store, agents, gate, observer, forecaster, conditions, log, events, pending } = deps;
    this.running = new RunningAttempts({ clock, agents, gate, router, observer, forecaster, queued: () => pending.size, conditions });
    this.outcomes = new AttemptOutcomes({ clock, random, store, events, log, observer, pending, enqueue: (task) => this.enqueue(task, undefined) }, options);
  }

  /** Start the task's next attempt on `agent` and send it task.run. */
  dispatch(task: TaskRecord, agent: AgentRecord): void {
    const now = this.deps.clock.now();
    const next = withAttemptStarted(task, agent.agentId, now);
    const queued = this.deps.pending.take(task.taskId) ?? task.createdAt;
    this.deps.observer.queueWait?.((now - queued) / 1000);
    this.deps.store.update(next);
    const epoch = next.epoch;
    this.running.start(task.taskId, epoch, agent, { startedAt: now, timeoutMs: next.timeoutMs }, () => this.onTimeout(task.taskId, epoch));
    this.deps.selector.served(task.affinityKey, agent.agentId);
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

  /** The attempt `epoch` of `taskId` answered (by its task.run reply or a task.report). */
  onOutcome(taskId: string, epoch: number, answer: { result?: unknown; error?: unknown }): void {
    // Detached for a restart: the closing connection's failed requests are not outcomes (the attempt reattaches).
    if (this.detached && answer.error !== undefined) return;
    // Its agent was lost with its replica: the closed connection's failure is not an outcome (the attempt waits to reattach).
    if (answer.error !== undefined && this.released.delete(taskId)) return;
    const run = this.running.get(taskId);
    if (!run || run.epoch !== epoch) {
      this.staleReports++;
      this.deps.observer.staleEpoch?.('result');
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
    this.deps.agents.get(run.agentId)?.channel.notify('task.cancel', { taskId, epoch });
    this.outcomes.timedOut(this.deps.store.get(taskId)!);
    this.schedulePump();
  }

  /** Whether `ref` is the attempt `agentId` runs now; a report about any other is stale, counted and ignored. */
  isCurrent(agentId: string, ref: TaskRef, report: 'result' | 'progress'): boolean {
    const run = this.running.get(ref.taskId);
    if (run && run.epoch === ref.epoch && run.agentId === agentId) return true;
    this.staleReports++;
    this.deps.observer.staleEpoch?.(report);
    return false;
  }

  /** Tell every running attempt to stop and put its task back to PENDING; how many there were. */
  cancelRunning(): number {
    let requeued = 0;
    for (const [taskId, run] of this.running.entries()) {
      this.deps.agents.get(run.agentId)?.channel.notify('task.cancel', { taskId, epoch: run.epoch });
      this.running.end(taskId, run, 'cancelled');
      this.outcomes.requeue(this.deps.store.get(taskId)!, 'cancelled', 'shutdown');
      requeued++;
    }
    return requeued;
  }

  /** Bind an attempt that survived a restart to its agent again: it takes a slot and times out as it would have. */
  rebind(ref: TaskRef, agent: AgentRecord): void {
    this.released.delete(ref.taskId);
    const task = this.deps.store.get(ref.taskId)!;
    const startedAt = task.attempts.at(-1)?.startedAt ?? this.deps.clock.now();
    const left = Math.max(1, startedAt + task.timeoutMs - this.deps.clock.now());
    this.running.start(ref.taskId, ref.epoch, agent, { startedAt, timeoutMs: left }, () => this.onTimeout(ref.taskId, ref.epoch));
  }

  /** Forget the agent and requeue what it ran. */
  removeAgent(agent: AgentRecord, reason: RequeueReason): void {
    this.deps.agents.remove(agent);
    this.requeueRunning(agent, reason);
    // After the lost attempts were reported, so none of them brings the entry back.
    this.deps.gate.forget(agent.agentId);
    this.schedulePump();
  }

  /**
   * Forget the agent but keep what it ran IN_PROGRESS (its replica was lost, the agent may reattach
   * elsewhere): the attempts end here and their tasks are returned, for Reattachment to wait on.
   */
  release(agent: AgentRecord): TaskRecord[] {
    const waiting: TaskRecord[] = [];
    for (const taskId of [...agent.inFlight]) {
      const run = this.running.get(taskId);
      if (!run || run.agentId !== agent.agentId) continue;
      agent.inFlight.delete(taskId);
      this.running.end(taskId, run, 'lost');
      this.released.add(taskId);
      waiting.push(this.deps.store.get(taskId)!);
    }
    this.deps.agents.remove(agent);
    this.deps.gate.forget(agent.agentId);
    return waiting;
  }

  /** The tasks an agent record was running go back to the queue (its connection is gone). */
  requeueRunning(agent: AgentRecord, reason: RequeueReason): void {
    for (const taskId of [...agent.inFlight]) {
      const run = this.running.get(taskId);
      if (!run || run.agentId !== agent.agentId) continue;
      agent.inFlight.delete(taskId);
      this.running.end(taskId, run, 'lost');
      this.outcomes.lost(this.deps.store.get(taskId)!, reason);
    }
  }

  enqueue(task: TaskRecord, holdUntil: number | undefined): void {
    this.deps.pending.enqueue(task, holdUntil);
    this.schedulePump();
  }

  /** Place queued tasks until none can be placed. */
  schedulePump(): void {
    this.loop.run();
  }

  /** Place the first queued task that can go somewhere now; false when none can. */
  private dispatchNextQueued(): boolean {
    const { agents, pending, selector } = this.deps;
    if (!agents.anyFree()) return false;
    const now = this.deps.clock.now();
    // Tasks held for a better agent in this pass: each later task would wait behind them.
    let ahead = 0;
    for (const entry of pending.inOrder((caps: readonly string[]) => agents.free(caps).length > 0)) {
      const task = this.deps.store.get(entry.taskId)!;
      const choice = selector.choose(task, now, pending.waitingSince(task.taskId) ?? task.createdAt, {
        ahead,
        heldUntil: pending.heldUntil(task.taskId),
      });
      if (choice.kind === 'agent') {
        this.dispatch(task, choice.agent);
        return true;
      }
      if (choice.kind === 'hold') pending.holdUntil(entry.taskId, choice.until);
      if (choice.kind === 'wait') {
        pending.waitUntil(entry.taskId, choice.until);
        ahead++;
      }
    }
    return false;
  }

  changed(task: TaskRecord, previous: TaskState | undefined): void {
    this.deps.events.changed(task, previous);
  }
}
