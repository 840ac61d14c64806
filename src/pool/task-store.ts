import type { z } from 'zod';
import { TASK_STATES, type TaskRecord as TaskRecordSchema, type TaskState } from '../schemas/task.js';

/** A task as stored and as returned by task.get (the wire shape). */
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

export interface TaskFilter {
  state?: TaskState;
  /** The agent running it, or the last one that did. */
  agentId?: string;
  type?: string;
  /** createdAt >= createdAfter (ms since the epoch). */
  createdAfter?: number;
  /** createdAt < createdBefore (ms since the epoch). */
  createdBefore?: number;
  idempotencyKey?: string;
  traceId?: string;
}

/** Whether a task passes every field set in the filter (stores may use it, or do the same in their own query). */
export function matchesTaskFilter(task: TaskRecord, f: TaskFilter): boolean {
  return (
    (f.state === undefined || task.state === f.state) &&
    (f.agentId === undefined || task.agentId === f.agentId) &&
    (f.type === undefined || task.type === f.type) &&
    (f.createdAfter === undefined || task.createdAt >= f.createdAfter) &&
    (f.createdBefore === undefined || task.createdAt < f.createdBefore) &&
    (f.idempotencyKey === undefined || task.idempotencyKey === f.idempotencyKey) &&
    (f.traceId === undefined || task.traceId === f.traceId)
  );
}

export interface TaskPage {
  tasks: TaskRecord[];
  nextCursor?: string;
}

/** Why a store refused a write. Local error: it never crosses the wire as such. */
export type TaskStoreErrorCode = 'DUPLICATE' | 'NOT_FOUND' | 'TERMINAL' | 'NOT_REOPENABLE';

export class TaskStoreError extends Error {
  constructor(
    readonly code: TaskStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TaskStoreError';
  }
}

/**
 * Where tasks live. Synchronous on purpose: the pool's invariants (capacity, one holder per
 * task) are kept by a single-threaded dispatcher, and durable embedded stores (node:sqlite,
 * better-sqlite3) are synchronous too. Every implementation must pass
 * test/unit/pool/task-store-conformance.ts.
 *
 * Retention: non-terminal tasks are never evicted. Terminal tasks are kept for a bounded time
 * and count; once evicted, get/findByIdempotencyKey no longer find them.
 */
export interface TaskStore {
  /** Add a new task. Throws TaskStoreError('DUPLICATE') if the id exists. */
  insert(task: TaskRecord): void;
  /** The task, or undefined when unknown or evicted. Callers must not mutate it. */
  get(taskId: string): TaskRecord | undefined;
  /**
   * Replace a task. Throws 'NOT_FOUND' for an unknown id and 'TERMINAL' when the stored task is
   * already COMPLETED, FAILED or CANCELLED (terminal states never change).
   */
  update(task: TaskRecord): void;
  /**
   * The one exception to "terminal states never change" (task.retry): replace a FAILED or
   * CANCELLED task with its PENDING continuation, keeping its place in list() order. Throws
   * 'NOT_FOUND' for an unknown id and 'NOT_REOPENABLE' when the stored task is not FAILED or
   * CANCELLED or the new record is not PENDING.
   */
  reopen(task: TaskRecord): void;
  /** The retained task submitted with this idempotency key, if any. */
  findByIdempotencyKey(key: string): TaskRecord | undefined;
  /**
   * Tasks newest first (by insertion), filtered, paged with an opaque cursor. With `maxBytes` a
   * page also stops before the task that would take its JSON past that many bytes (the first task
   * is always included, so a page is never empty while tasks remain); nextCursor continues there.
   */
  list(filter: TaskFilter, page: { limit: number; cursor?: string; maxBytes?: number }): TaskPage;
  /** How many retained tasks are in each state. */
  countByState(): Record<TaskState, number>;
  /** Every task that is not terminal (for recovery after a restart). */
  unfinished(): TaskRecord[];
  /** Retained tasks in all. */
  size(): number;
}

/** Every task state at zero (the stores' per-state counters start here). */
export function zeroCounts(): Record<TaskState, number> {
  return Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
}

/** Opaque paging cursor shared by the task stores: base64url of the sequence number the next page starts below. */
export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

/** The sequence number in a cursor from encodeCursor; undefined for anything else. */
export function decodeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : undefined;
}
