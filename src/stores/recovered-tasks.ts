import type { TaskRecord, TaskStore } from '../pool/task-store.js';

/** The unfinished tasks of a store, split as recovery needs them. */
export interface RecoveredTasks {
  /** PENDING tasks in dispatch order: higher priority first, then the order they were submitted. */
  pending: TaskRecord[];
  /** IN_PROGRESS tasks, each with the agent and epoch of its running attempt, oldest first. */
  inProgress: TaskRecord[];
  /** The highest epoch of any unfinished task (epochs are per task; this is for logs and checks). */
  maxEpoch: number;
}

/** Split a store's unfinished tasks into the queue to rebuild and the attempts awaiting their agents. */
export function recoverTasks(store: TaskStore): RecoveredTasks {
  const pending: TaskRecord[] = [];
  const inProgress: TaskRecord[] = [];
  let maxEpoch = 0;
  for (const task of store.unfinished()) {
    if (task.state === 'IN_PROGRESS') inProgress.push(task);
    else pending.push(task);
    if (task.epoch > maxEpoch) maxEpoch = task.epoch;
  }
  // Array.prototype.sort is stable, so submission order survives within a priority.
  pending.sort((a, b) => b.priority - a.priority);
  return { pending, inProgress, maxEpoch };
}
