import type { Log } from '../log.js';
import { TERMINAL_STATES, type TaskState } from '../schemas/task.js';
import type { PoolObserver } from './pool-observer.js';
import type { TaskRecord } from './task-store.js';
import type { TaskWaiters } from './task-waiters.js';
import { measureValue } from '../schemas/json-value.js';

type Notify = (method: string, params: object) => void;

/**
 * Everyone told about a task's changes: the log (one line per state entered), the observer
 * (metrics), the submitter's `task.updated` notifications, and task.wait callers at the end.
 */
export class TaskEvents {
  private readonly subscribers = new Map<string, Notify>();
  /** JSON bytes of each unfinished task's payload, counted when it was created. */
  private readonly payloadBytes = new Map<string, number>();
  /** Sum of payloadBytes: what the daemon holds for unfinished tasks (COORDD_MAX_QUEUE_BYTES). */
  heldBytes = 0;

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
    this.account(task);
    if (task.state !== previous) {
      this.log.info(
        { taskId: task.taskId, agentId: task.agentId, traceId: task.traceId, state: task.state, previous, attempt: task.attempts.length },
        'task state',
      );
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

  /** A task recovered after a restart: count its payload as held, without announcing anything. */
  held(task: TaskRecord): void {
    this.account(task);
  }

  private account(task: TaskRecord): void {
    if (!TERMINAL_STATES.has(task.state)) {
      if (this.payloadBytes.has(task.taskId)) return;
      const bytes = payloadBytesOf(task.payload);
      this.payloadBytes.set(task.taskId, bytes);
      this.heldBytes += bytes;
    } else if (TERMINAL_STATES.has(task.state)) {
      const bytes = this.payloadBytes.get(task.taskId);
      if (bytes !== undefined) {
        this.payloadBytes.delete(task.taskId);
        this.heldBytes -= bytes;
      }
    }
  }

  /** The task reached a terminal state: last notification sent already; release waiters and subscribers. */
  finished(task: TaskRecord): void {
    this.subscribers.delete(task.taskId);
    this.waiters.finished(task);
  }
}

/** JSON bytes of a payload (already bounded at the edge, so the walk is short). */
export function payloadBytesOf(payload: unknown): number {
  const m = measureValue(payload, { maxDepth: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });
  return 'bytes' in m ? m.bytes : 0;
}
