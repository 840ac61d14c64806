import { QueueFullError } from './queue-full-error.js';
import { comesBefore, QueueGroup, type QueueEntry, type QueueNode } from './queue-group.js';

export type { QueueEntry } from './queue-group.js';

/** Settings of a TaskQueue. */
export interface TaskQueueOptions {
  /**
   * Entries held at most; enqueue throws QueueFullError beyond it.
   * @defaultValue 100_000
   */
  maxSize: number;
}

export const DEFAULT_TASK_QUEUE_OPTIONS: Readonly<TaskQueueOptions> = Object.freeze({ maxSize: 100_000 });

/** One group's progress through an inOrder walk. */
interface Walker {
  readonly group: QueueGroup;
  /** The next node this group would yield; undefined once it has none left. */
  next: QueueNode | undefined;
  /** canServe's answer, asked the first time this group could win. */
  servable: boolean | undefined;
}

/**
 * The pending tasks: higher priority first, FIFO within a priority. Tasks are grouped by their
 * capability set, so a task needing something no free agent has does not hold up the rest:
 * inOrder merges only the groups a free agent can serve. enqueue is O(1) plus O(levels) for a new
 * priority, remove amortised O(1), and each step of inOrder O(groups).
 */
export class TaskQueue {
  readonly options: Readonly<TaskQueueOptions>;
  private readonly groups = new Map<string, QueueGroup>();
  private readonly byTaskId = new Map<string, { node: QueueNode; group: QueueGroup }>();
  private nextSeq = 0;

  constructor(options: Partial<TaskQueueOptions> = {}) {
    const o = { ...DEFAULT_TASK_QUEUE_OPTIONS, ...options };
    if (!Number.isInteger(o.maxSize) || o.maxSize < 1) throw new RangeError(`maxSize must be a positive integer, got ${o.maxSize}`);
    this.options = Object.freeze(o);
  }

  /** Pending entries. */
  get size(): number {
    return this.byTaskId.size;
  }

  /** Queue a task behind every entry of its priority; throws QueueFullError when full, Error when already queued. */
  enqueue(entry: QueueEntry): void {
    if (this.byTaskId.has(entry.taskId)) throw new Error(`task ${entry.taskId} is already queued`);
    if (!Number.isFinite(entry.priority)) throw new RangeError(`priority must be a finite number, got ${entry.priority}`);
    if (this.byTaskId.size >= this.options.maxSize) throw new QueueFullError(this.options.maxSize);
    const capabilities = [...new Set(entry.requiredCapabilities)].sort();
    // JSON, not join(','): a capability may itself contain a comma.
    const signature = JSON.stringify(capabilities);
    let group = this.groups.get(signature);
    if (!group) {
      group = new QueueGroup(signature, Object.freeze(capabilities));
      this.groups.set(signature, group);
    }
    const node: QueueNode = { entry: Object.freeze({ ...entry }), seq: this.nextSeq++, removed: false, index: 0 };
    group.add(node);
    this.byTaskId.set(entry.taskId, { node, group });
  }

  /** Take a task out of the queue; false when it was not queued. */
  remove(taskId: string): boolean {
    const held = this.byTaskId.get(taskId);
    if (!held) return false;
    this.byTaskId.delete(taskId);
    held.group.delete(held.node);
    if (held.group.size === 0) this.groups.delete(held.group.signature);
    return true;
  }

  /** Whether the task is queued. */
  has(taskId: string): boolean {
    return this.byTaskId.has(taskId);
  }

  /** Pending entries per priority (the priority as a decimal string). */
  byPriority(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const group of this.groups.values()) group.countByPriority(counts);
    return counts;
  }

  /** enqueuedAt of the longest-waiting entry, assuming enqueuedAt does not decrease with enqueue order. */
  oldestEnqueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const group of this.groups.values()) {
      const at = group.oldestEnqueuedAt();
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest;
  }

  /**
   * Pending entries in dispatch order (priority desc, then enqueue order), skipping groups whose
   * capabilities canServe rejects; canServe is asked lazily, at most once per group per walk, and
   * never for a group with nothing left to yield. The consumer may remove() any entry meanwhile;
   * entries enqueued after the walk began are not yielded.
   */
  *inOrder(canServe: (requiredCapabilities: readonly string[]) => boolean): IterableIterator<QueueEntry> {
    const seqLimit = this.nextSeq;
    const walkers: Walker[] = [];
    for (const group of this.groups.values()) walkers.push({ group, next: group.first(seqLimit), servable: undefined });
    for (;;) {
      let best: Walker | undefined;
      for (let i = 0; i < walkers.length;) {
        const w = walkers[i]!;
        if (w.next?.removed) w.next = w.group.after(w.next, seqLimit);
        if (w.next && best && !comesBefore(w.next, best.next!)) {
          i++;
          continue;
        }
        if (w.next) w.servable ??= canServe(w.group.capabilities);
        if (!w.next || !w.servable) {
          // Done with this group for the rest of the walk: swap-remove keeps each step O(groups).
          walkers[i] = walkers[walkers.length - 1]!;
          walkers.pop();
          continue;
        }
        best = w;
        i++;
      }
      if (!best) return;
      const node = best.next!;
      // Step past it before handing it out, so removing it (the usual case) costs the walk nothing.
      best.next = best.group.after(node, seqLimit);
      yield node.entry;
    }
  }
}
