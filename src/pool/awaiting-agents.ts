import type { Clock, TimerHandle } from '../time/clock.js';
import type { TaskRecord } from './task-store.js';

/** A running attempt an agent names: the task and the epoch it was given. */
export interface TaskRef {
  readonly taskId: string;
  readonly epoch: number;
}

/** An attempt that was running when the daemon stopped, waiting for its agent to come back. */
interface Orphan {
  readonly agentId: string;
  readonly epoch: number;
}

/**
 * The IN_PROGRESS tasks a restarted daemon found in its store. Each waits for its agent to register
 * again and report it still runs the task with the same epoch (it is then bound again); whatever is
 * still waiting when the grace period ends is handed to `expired` (the pool requeues it, as a lost
 * agent's tasks are).
 */
export class AwaitingAgents {
  private readonly orphans = new Map<string, Orphan>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly expired: (taskIds: string[]) => void,
  ) {}

  /** Tasks still waiting for their agent. */
  get size(): number {
    return this.orphans.size;
  }

  /** Wait `graceMs` for the agents of these IN_PROGRESS tasks (replaces any earlier wait). */
  await(tasks: readonly TaskRecord[], graceMs: number): void {
    for (const t of tasks) if (t.agentId !== undefined) this.orphans.set(t.taskId, { agentId: t.agentId, epoch: t.epoch });
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.orphans.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      const ids = [...this.orphans.keys()];
      this.orphans.clear();
      if (ids.length > 0) this.expired(ids);
    }, graceMs);
  }

  /** Whether the task waits for an agent (and so must not be touched as a queued or running one). */
  has(taskId: string): boolean {
    return this.orphans.has(taskId);
  }

  /**
   * `agentId` registered again reporting `running`. Returns the tasks to bind to it again (its own,
   * with the epoch the store holds), the ones it must drop (anything else it reports), and its
   * waiting tasks it did not report (lost: to requeue now). All of them stop waiting.
   */
  claim(agentId: string, running: readonly TaskRef[]): { bind: TaskRef[]; drop: TaskRef[]; lost: string[] } {
    const bind: TaskRef[] = [];
    const drop: TaskRef[] = [];
    const reported = new Set<string>();
    for (const ref of running) {
      reported.add(ref.taskId);
      const orphan = this.orphans.get(ref.taskId);
      if (orphan && orphan.agentId === agentId && orphan.epoch === ref.epoch) {
        this.orphans.delete(ref.taskId);
        bind.push(ref);
      } else {
        drop.push(ref);
      }
    }
    const lost: string[] = [];
    for (const [taskId, orphan] of this.orphans) {
      if (orphan.agentId === agentId && !reported.has(taskId)) lost.push(taskId);
    }
    for (const taskId of lost) this.orphans.delete(taskId);
    this.stopIfEmpty();
    return { bind, drop, lost };
  }

  /** Stop waiting for this task (cancelled or otherwise settled elsewhere). */
  forget(taskId: string): void {
    this.orphans.delete(taskId);
    this.stopIfEmpty();
  }

  /** Stop the grace timer (shutdown); what waits stays IN_PROGRESS in the store for the next start. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private stopIfEmpty(): void {
    if (this.orphans.size === 0) this.stop();
  }
}
