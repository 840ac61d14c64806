import type { Clock, TimerHandle } from '../time/clock.js';
import { TaskQueue, type QueueEntry } from './task-queue.js';
import type { TaskRecord } from './task-store.js';

/**
 * Tasks that are PENDING: in the priority queue, sleeping out a retry delay, or held for a busy
 * sticky agent. Knows when each started waiting, and calls `wake` when a sleep or hold ends so
 * the pool runs a dispatch pass.
 */
export class PendingTasks {
  /** Requeued tasks are never refused, so the queue itself is unbounded; pool.assign enforces maxQueue. */
  private readonly queue = new TaskQueue({ maxSize: Number.MAX_SAFE_INTEGER });
  private readonly retryTimers = new Map<string, TimerHandle>();
  private readonly holdTimers = new Map<string, TimerHandle>();
  private readonly since = new Map<string, number>();
  /** Tasks held for a busy agent the router expects to be better: since when, until when, and the timer that ends it. */
  private readonly waits = new Map<string, { since: number; until: number; timer: TimerHandle }>();

  constructor(
    private readonly clock: Clock,
    private readonly wake: () => void,
    /** Told when a task's wait for a better agent starts and when it ends (after how long). */
    private readonly holds: { started?(taskId: string): void; ended?(taskId: string, heldMs: number): void } = {},
  ) {}

  /** Tasks in the queue (not counting those sleeping out a retry delay). */
  get size(): number {
    return this.queue.size;
  }

  /** Put a task in the queue; with `holdUntil`, wake a dispatch pass when its affinity hold ends. */
  enqueue(task: TaskRecord, holdUntil?: number): void {
    const now = this.clock.now();
    if (!this.since.has(task.taskId)) this.since.set(task.taskId, now);
    this.queue.enqueue({ taskId: task.taskId, priority: task.priority, requiredCapabilities: task.requiredCapabilities, enqueuedAt: now });
    if (holdUntil !== undefined) this.holdUntil(task.taskId, holdUntil);
  }

  /** Run `due` after `delayMs` (a retry's backoff); cancelled by remove(). */
  retryLater(taskId: string, delayMs: number, due: () => void): void {
    this.retryTimers.set(
      taskId,
      this.clock.setTimeout(() => {
        this.retryTimers.delete(taskId);
        due();
      }, delayMs),
    );
  }

  /** Make sure a dispatch pass runs when a held task's wait for its sticky agent ends. */
  holdUntil(taskId: string, at: number): void {
    if (this.holdTimers.has(taskId)) return;
    const timer = this.clock.setTimeout(
      () => {
        this.holdTimers.delete(taskId);
        this.wake();
      },
      Math.max(0, at - this.clock.now()),
    );
    this.holdTimers.set(taskId, timer);
  }

  /**
   * Hold a queued task for a better (busy) agent until `until`; the first call fixes the bound and
   * sets a timer that runs a dispatch pass when it ends, so a held task is looked at again even if
   * no slot frees. The hold ends when the task leaves the queue.
   */
  waitUntil(taskId: string, until: number): void {
    if (this.waits.has(taskId)) return;
    const now = this.clock.now();
    const timer = this.clock.setTimeout(() => this.wake(), Math.max(0, until - now));
    this.waits.set(taskId, { since: now, until, timer });
    this.holds.started?.(taskId);
  }

  /** When the task's wait for a better agent ends, if it is held for one. */
  heldUntil(taskId: string): number | undefined {
    return this.waits.get(taskId)?.until;
  }

  /** Queued tasks of at least this priority (those a new task of it would queue behind). */
  aheadOf(priority: number): number {
    let n = 0;
    for (const [p, count] of Object.entries(this.queue.byPriority())) if (Number(p) >= priority) n += count;
    return n;
  }

  /** When the task started waiting (submission or requeue), if it is pending. */
  waitingSince(taskId: string): number | undefined {
    return this.since.get(taskId);
  }

  /** Take a task out for dispatch; returns when it started waiting (undefined if it never queued). */
  take(taskId: string): number | undefined {
    const since = this.since.get(taskId);
    this.remove(taskId);
    return since;
  }

  /** Forget a pending task (cancelled or dispatched): out of the queue, timers cleared. */
  remove(taskId: string): void {
    this.queue.remove(taskId);
    this.since.delete(taskId);
    for (const timers of [this.retryTimers, this.holdTimers]) {
      const t = timers.get(taskId);
      if (t) this.clock.clearTimeout(t);
      timers.delete(taskId);
    }
    const wait = this.waits.get(taskId);
    if (wait) {
      this.waits.delete(taskId);
      this.clock.clearTimeout(wait.timer);
      this.holds.ended?.(taskId, this.clock.now() - wait.since);
    }
  }

  /** Queued entries in dispatch order, from the capability groups `canServe` accepts. */
  inOrder(canServe: (requiredCapabilities: readonly string[]) => boolean): IterableIterator<QueueEntry> {
    return this.queue.inOrder(canServe);
  }

  /** Depth, depth by priority, and the oldest queued task's wait. */
  stats(): { depth: number; byPriority: Record<string, number>; oldestWaitMs: number } {
    const oldest = this.queue.oldestEnqueuedAt();
    return { depth: this.queue.size, byPriority: this.queue.byPriority(), oldestWaitMs: oldest === undefined ? 0 : this.clock.now() - oldest };
  }
}
