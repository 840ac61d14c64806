import { AppError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { TaskRecord } from './task-store.js';

interface Waiter {
  resolve: (t: TaskRecord) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle;
}

/** Callers of task.wait, resolved when their task reaches a terminal state. */
export class TaskWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly clock: Clock) {}

  /** Wait for `taskId` to finish; rejects with WAIT_TIMEOUT after `timeoutMs` (reading `current` for its state). */
  wait(taskId: string, timeoutMs: number, current: () => TaskRecord | undefined): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const set = this.waiters.get(taskId) ?? new Set<Waiter>();
      this.waiters.set(taskId, set);
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          set.delete(waiter);
          if (set.size === 0) this.waiters.delete(taskId);
          reject(new AppError('WAIT_TIMEOUT', `task ${taskId} still running after ${timeoutMs} ms`, { taskId, state: current()?.state }));
        }, timeoutMs),
      };
      set.add(waiter);
    });
  }

  /** Resolve every waiter of a task that just became terminal. */
  finished(task: TaskRecord): void {
    const set = this.waiters.get(task.taskId);
    if (!set) return;
    this.waiters.delete(task.taskId);
    for (const w of set) {
      this.clock.clearTimeout(w.timer);
      w.resolve(task);
    }
  }

  /** Waiters in all. */
  get size(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
