import type { Log } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { AgentRecord } from './agent-record.js';
import type { AttemptDispatcher } from './attempt-dispatcher.js';
import { AwaitingAgents, type TaskRef } from './awaiting-agents.js';
import type { PendingTasks } from './pending-tasks.js';
import type { TaskEvents } from './task-events.js';
import type { TaskRecord, TaskStore } from './task-store.js';

/** The unfinished tasks a restarted daemon found in its store (see stores/recovered-tasks.ts). */
export interface UnfinishedTasks {
  /** PENDING, in dispatch order. */
  pending: readonly TaskRecord[];
  /** IN_PROGRESS: they wait for their agent to reattach. */
  inProgress: readonly TaskRecord[];
}

/** What Reattachment needs from the pool around it. */
export interface ReattachmentDeps {
  clock: Clock;
  log: Log;
  store: Pick<TaskStore, 'get'>;
  events: Pick<TaskEvents, 'held'>;
  pending: Pick<PendingTasks, 'enqueue'>;
  dispatcher: Pick<AttemptDispatcher, 'rebind' | 'outcomes' | 'schedulePump'>;
}

/**
 * After a restart on a durable store: the unfinished tasks taken back, and the IN_PROGRESS ones
 * bound again to their agents as they register reporting them, or requeued when the grace ends.
 */
export class Reattachment {
  private readonly awaiting: AwaitingAgents;

  constructor(
    private readonly deps: ReattachmentDeps,
    private readonly graceMs: number,
  ) {
    this.awaiting = new AwaitingAgents(deps.clock, (taskIds) => this.orphansExpired(taskIds));
  }

  /** IN_PROGRESS tasks of the last run still waiting for their agent. */
  get size(): number {
    return this.awaiting.size;
  }

  /** See PoolService.recover. */
  recover(tasks: UnfinishedTasks): void {
    for (const task of tasks.pending) {
      this.deps.events.held(task);
      this.deps.pending.enqueue(task, undefined);
    }
    for (const task of tasks.inProgress) this.deps.events.held(task);
    this.awaiting.await(tasks.inProgress, this.graceMs);
    if (tasks.pending.length + tasks.inProgress.length > 0) {
      this.deps.log.info({ pending: tasks.pending.length, inProgress: tasks.inProgress.length, graceMs: this.graceMs }, 'recovered unfinished tasks');
    }
    this.deps.dispatcher.schedulePump();
  }

  /** Running tasks whose agent was lost with its replica (cluster mode) wait for it like a restart's. */
  awaitLost(agentId: string, tasks: readonly TaskRecord[]): void {
    this.awaiting.await(tasks, this.graceMs);
    if (tasks.length > 0)
      this.deps.log.info({ agentId, tasks: tasks.length, graceMs: this.graceMs }, 'agent lost with its replica: its tasks wait for it to reattach');
    this.deps.dispatcher.schedulePump();
  }

  /** The agent registered reporting `running`: see PoolService.registerWithRunning. */
  claim(agent: AgentRecord, running: readonly TaskRef[]): { reattached: TaskRef[]; dropped: TaskRef[] } {
    const { bind, drop, lost } = this.awaiting.claim(agent.agentId, running);
    for (const ref of bind) this.deps.dispatcher.rebind(ref, agent);
    for (const taskId of lost) this.deps.dispatcher.outcomes.lost(this.deps.store.get(taskId)!, 'restart');
    if (bind.length + drop.length + lost.length > 0) {
      this.deps.log.info({ agentId: agent.agentId, reattached: bind.length, dropped: drop.length, requeued: lost.length }, 'agent reattached after a restart');
    }
    return { reattached: bind, dropped: drop };
  }

  /** Stop waiting (the pool shuts down). */
  stop(): void {
    this.awaiting.stop();
  }

  /** The reattach grace period ended: the tasks whose agent did not come back are requeued. */
  private orphansExpired(taskIds: string[]): void {
    this.deps.log.warn({ tasks: taskIds.length }, 'agents did not reattach within the grace period: requeueing their tasks');
    for (const taskId of taskIds) {
      const task = this.deps.store.get(taskId);
      if (task?.state === 'IN_PROGRESS') this.deps.dispatcher.outcomes.lost(task, 'restart');
    }
    this.deps.dispatcher.schedulePump();
  }
}
