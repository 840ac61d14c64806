import { LRUCache } from 'lru-cache';
import { TERMINAL_STATES, type TaskState } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import { measureValue } from '../schemas/json-value.js';
import {
  decodeCursor,
  encodeCursor,
  matchesTaskFilter,
  TaskStoreError,
  zeroCounts,
  type TaskFilter,
  type TaskPage,
  type TaskRecord,
  type TaskStore,
} from './task-store.js';

/** Retention of finished tasks in a MemoryTaskStore. */
export interface MemoryTaskStoreOptions {
  /**
   * How long a task stays findable after it entered a terminal state, in milliseconds.
   * @defaultValue 3_600_000
   */
  retentionMs: number;
  /**
   * How many terminal tasks are kept at most; beyond it the one that finished first goes.
   * @defaultValue 10_000
   */
  retentionCount: number;
}

export const DEFAULT_MEMORY_TASK_STORE_OPTIONS: Readonly<MemoryTaskStoreOptions> = Object.freeze({
  retentionMs: 3_600_000,
  retentionCount: 10_000,
});

interface Entry {
  readonly task: TaskRecord;
  /** Insertion order; list() pages by it and cursors carry it. */
  readonly seq: number;
}

/** Compact the insertion-order arrays once this many slots are dead and they are half dead. */
const COMPACT_MIN = 64;

/**
 * TaskStore in process memory. Unfinished tasks sit in a Map and are never evicted; a task that
 * becomes terminal moves to an LRUCache bounded by `retentionCount` and `retentionMs`, timed by
 * the injected clock. Records are stored as given, not copied: the pool replaces whole records
 * through update(), and callers must not mutate a record they passed in or got back.
 *
 * Reads use `peek` so reading never extends retention: cache order is the order tasks finished,
 * so count eviction drops the earliest finished and expiry happens front to back (see purge).
 */
export class MemoryTaskStore implements TaskStore {
  readonly options: Readonly<MemoryTaskStoreOptions>;
  private readonly clock: Clock;
  private readonly live = new Map<string, Entry>();
  private readonly finished: LRUCache<string, Entry>;
  /** Finished entries in the order they entered the cache, for purge(); a prefix may be gone already. */
  private finishedOrder: Entry[] = [];
  private finishedHead = 0;
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly counts = zeroCounts();
  /** Every inserted task in insertion order (ascending seq); slots of evicted tasks are dead until compacted. */
  private orderIds: string[] = [];
  private orderSeqs: number[] = [];
  private deadSlots = 0;
  private nextSeq = 1;

  constructor(deps: { clock: Clock }, options: Partial<MemoryTaskStoreOptions> = {}) {
    const o = { ...DEFAULT_MEMORY_TASK_STORE_OPTIONS, ...options };
    if (!Number.isSafeInteger(o.retentionMs) || o.retentionMs < 1) throw new RangeError(`retentionMs must be a positive integer, got ${o.retentionMs}`);
    if (!Number.isSafeInteger(o.retentionCount) || o.retentionCount < 1)
      throw new RangeError(`retentionCount must be a positive integer, got ${o.retentionCount}`);
    this.options = Object.freeze(o);
    this.clock = deps.clock;
    this.finished = new LRUCache<string, Entry>({
      max: o.retentionCount,
      ttl: o.retentionMs,
      // lru-cache reads a start time of 0 as "no ttl", so keep the clock's epoch away from it.
      perf: { now: () => this.clock.now() + 1 },
      // The default (1) caches now() and clears it with a real setTimeout, which a virtual clock cannot move.
      ttlResolution: 0,
      dispose: (entry) => this.forget(entry),
    });
  }

  insert(task: TaskRecord): void {
    this.purge();
    if (this.find(task.taskId)) throw new TaskStoreError('DUPLICATE', `task ${task.taskId} already exists`);
    // An expired leftover (possible when the wall clock stepped back) must leave before its id is reused.
    if (!this.finished.has(task.taskId)) this.finished.delete(task.taskId);
    const entry: Entry = { task, seq: this.nextSeq++ };
    this.orderIds.push(task.taskId);
    this.orderSeqs.push(entry.seq);
    this.indexKey(task);
    this.place(entry);
  }

  get(taskId: string): TaskRecord | undefined {
    this.purge();
    return this.find(taskId)?.task;
  }

  update(task: TaskRecord): void {
    this.purge();
    const old = this.live.get(task.taskId);
    if (!old) {
      const done = this.finished.peek(task.taskId);
      if (done) throw new TaskStoreError('TERMINAL', `task ${task.taskId} is ${done.task.state} and cannot change`);
      throw new TaskStoreError('NOT_FOUND', `task ${task.taskId} does not exist`);
    }
    this.counts[old.task.state]--;
    if (old.task.idempotencyKey !== task.idempotencyKey) {
      this.unindexKey(old.task);
      this.indexKey(task);
    }
    // Map.set on a present key keeps its position, so unfinished() stays in insertion order.
    if (TERMINAL_STATES.has(task.state)) this.live.delete(task.taskId);
    this.place({ task, seq: old.seq });
  }

  reopen(task: TaskRecord): void {
    this.purge();
    const old = this.finished.peek(task.taskId);
    if (!old) {
      if (this.live.has(task.taskId)) throw new TaskStoreError('NOT_REOPENABLE', `task ${task.taskId} is not finished`);
      throw new TaskStoreError('NOT_FOUND', `task ${task.taskId} does not exist`);
    }
    if ((old.task.state !== 'FAILED' && old.task.state !== 'CANCELLED') || task.state !== 'PENDING') {
      throw new TaskStoreError('NOT_REOPENABLE', `task ${task.taskId} is ${old.task.state}; only FAILED or CANCELLED tasks reopen, as PENDING`);
    }
    // delete() runs forget() (counts, key index, a dead order slot); the slot lives on under the same seq.
    this.finished.delete(task.taskId);
    this.deadSlots--;
    this.indexKey(task);
    this.place({ task, seq: old.seq });
  }

  findByIdempotencyKey(key: string): TaskRecord | undefined {
    this.purge();
    const taskId = this.byIdempotencyKey.get(key);
    return taskId === undefined ? undefined : this.find(taskId)?.task;
  }

  list(filter: TaskFilter, page: { limit: number; cursor?: string; maxBytes?: number }): TaskPage {
    if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new RangeError(`limit must be a positive integer, got ${page.limit}`);
    this.purge();
    const tasks: TaskRecord[] = [];
    const maxBytes = page.maxBytes ?? Infinity;
    let bytes = 0;
    let lastSeq = 0;
    let i = page.cursor === undefined ? this.orderSeqs.length - 1 : this.indexBefore(page.cursor);
    for (; i >= 0; i--) {
      const task = this.taskAt(i);
      if (!task || !matchesTaskFilter(task, filter)) continue;
      // One match beyond the page decides whether there is a next page at all.
      if (tasks.length === page.limit) return { tasks, nextCursor: encodeCursor(lastSeq) };
      if (maxBytes !== Infinity) {
        bytes += recordBytes(task) + 1;
        if (bytes > maxBytes && tasks.length > 0) return { tasks, nextCursor: encodeCursor(lastSeq) };
      }
      tasks.push(task);
      lastSeq = this.orderSeqs[i]!;
    }
    return { tasks };
  }

  countByState(): Record<TaskState, number> {
    this.purge();
    return { ...this.counts };
  }

  /** Unfinished tasks, oldest first. */
  unfinished(): TaskRecord[] {
    return [...this.live.values()].map((e) => e.task);
  }

  size(): number {
    this.purge();
    return this.live.size + this.finished.size;
  }

  private find(taskId: string): Entry | undefined {
    return this.live.get(taskId) ?? this.finished.peek(taskId);
  }

  /** Put an entry where its state says: the live Map, or the retention cache (which may evict). */
  private place(entry: Entry): void {
    this.counts[entry.task.state]++;
    if (!TERMINAL_STATES.has(entry.task.state)) {
      this.live.set(entry.task.taskId, entry);
      return;
    }
    this.finished.set(entry.task.taskId, entry);
    this.finishedOrder.push(entry);
  }

  /**
   * Drop expired finished tasks. lru-cache only notices expiry on access, so without this they
   * would linger in size(), countByState() and the idempotency index. Every entry shares one ttl
   * and enters in clock order, so expiry runs front to back and this costs O(expired).
   */
  private purge(): void {
    while (this.finishedHead < this.finishedOrder.length) {
      const entry = this.finishedOrder[this.finishedHead]!;
      const taskId = entry.task.taskId;
      if (this.finished.peek(taskId, { allowStale: true }) === entry) {
        if (this.finished.getRemainingTTL(taskId) >= 0) break;
        this.finished.delete(taskId);
      }
      this.finishedOrder[this.finishedHead++] = undefined as unknown as Entry;
    }
    if (this.finishedHead >= COMPACT_MIN && this.finishedHead * 2 >= this.finishedOrder.length) {
      this.finishedOrder = this.finishedOrder.slice(this.finishedHead);
      this.finishedHead = 0;
    }
    if (this.deadSlots >= COMPACT_MIN && this.deadSlots * 2 >= this.orderIds.length) this.compactOrder();
  }

  /**
   * dispose callback of the cache: the task is gone, so are its index entries. Its order slot is
   * only counted dead here; compacting inside dispose would see half-moved entries.
   */
  private forget(entry: Entry): void {
    this.counts[entry.task.state]--;
    this.unindexKey(entry.task);
    this.deadSlots++;
  }

  /** Drop dead slots from the insertion-order arrays; amortised O(1) per eviction. */
  private compactOrder(): void {
    const ids: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < this.orderIds.length; i++) {
      if (this.taskAt(i)) {
        ids.push(this.orderIds[i]!);
        seqs.push(this.orderSeqs[i]!);
      }
    }
    this.orderIds = ids;
    this.orderSeqs = seqs;
    this.deadSlots = 0;
  }

  /** The task in order slot i, unless that slot is dead (evicted, or the id was reused since). */
  private taskAt(i: number): TaskRecord | undefined {
    const entry = this.find(this.orderIds[i]!);
    return entry !== undefined && entry.seq === this.orderSeqs[i] ? entry.task : undefined;
  }

  /** Index of the last slot older than the cursor's task (which may be gone since); -1 when none or the cursor is not ours. */
  private indexBefore(cursor: string): number {
    const seq = decodeCursor(cursor);
    if (seq === undefined) return -1;
    let lo = 0;
    let hi = this.orderSeqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.orderSeqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private indexKey(task: TaskRecord): void {
    if (task.idempotencyKey !== undefined) this.byIdempotencyKey.set(task.idempotencyKey, task.taskId);
  }

  private unindexKey(task: TaskRecord): void {
    const key = task.idempotencyKey;
    if (key !== undefined && this.byIdempotencyKey.get(key) === task.taskId) this.byIdempotencyKey.delete(key);
  }
}

/** JSON bytes of a record, measured once (records are never mutated, only replaced). */
const sizes = new WeakMap<TaskRecord, number>();
function recordBytes(task: TaskRecord): number {
  let bytes = sizes.get(task);
  if (bytes === undefined) {
    const m = measureValue(task, { maxDepth: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });
    bytes = 'bytes' in m ? m.bytes : 0;
    sizes.set(task, bytes);
  }
  return bytes;
}
