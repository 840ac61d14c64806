import type { Log } from '../log.js';
import type { TaskState } from '../schemas/task.js';
import type { PoolObserver } from './pool-observer.js';
import type { TaskRecord } from './task-store.js';
import type { TaskWaiters } from './task-waiters.js';

type Notify = (method: string, params: object) => void;

/**
 * Everyone told about a task's changes: the log (one line per state entered), the observer
 * (metrics), the submitter's `task.updated` notifications, and task.wait callers at the end.
 */
export class TaskEvents {
  private readonly subscribers = new Map<string, Notify>();

  constructor(
    private readonly log: Log,
    private readonly observer: PoolObserver,
    private readonly waiters: TaskWaiters,
  ) {}

  /** Send `task.updated` to `notify` on every change of this task until it finishes. */
  subscribe(taskId: string, notify: Notify): void {
    this.subscribers.set(taskId, notify);
  }

  /** The task was written with a new state (or the same state, for attempt bookkeeping). */
  changed(task: TaskRecord, previous: TaskState | undefined): void {
    if (task.state !== previous) {
      this.log.info({ taskId: task.taskId, agentId: task.agentId, traceId: task.traceId, state: task.state, previous, attempt: task.attempts.length }, 'task state');
    }
    this.observer.taskState?.(task, previous);
    this.subscribers.get(task.taskId)?.('task.updated', {
      taskId: task.taskId,
      state: task.state,
      agentId: task.agentId,
      attempt: task.attempts.length,
      epoch: task.epoch,
      ...(task.result !== undefined ? { result: task.result } : {}),
      ...(task.error ? { error: task.error } : {}),
    });
  }

  /** The task reached a terminal state: last notification sent already; release waiters and subscribers. */
  finished(task: TaskRecord): void {
    this.subscribers.delete(task.taskId);
    this.waiters.finished(task);
  }
}
