import type { Statement } from 'better-sqlite3';
import { DEFAULT_MEMORY_TASK_STORE_OPTIONS, type MemoryTaskStoreOptions } from '../pool/memory-task-store.js';
import {
  decodeCursor,
  encodeCursor,
  TaskStoreError,
  zeroCounts,
  type TaskFilter,
  type TaskPage,
  type TaskRecord,
  type TaskStore,
  type TaskStoreErrorCode,
} from '../pool/task-store.js';
import { TERMINAL_STATES, type TaskState } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Retention of finished tasks: the same rules and defaults as the memory store. */
export type SqliteTaskStoreOptions = MemoryTaskStoreOptions;

const FINISHED_COUNT = 'tasks.finished.';
/** Most finished tasks one purge deletes (a few ms of work); more than any steady state needs per call. */
const PURGE_BATCH = 2048;
/** task.retry's refusal; spelled through string so this file compiles before and after ops-api's TaskStore change. */
const NOT_REOPENABLE: TaskStoreErrorCode = 'NOT_REOPENABLE';

/** task.list's filters (ops-api widened TaskFilter with these; each maps to one SQL condition). */
type ListFilter = TaskFilter & { type?: string; createdAfter?: number; createdBefore?: number; idempotencyKey?: string; traceId?: string };
const FILTER_SQL: Record<keyof ListFilter, string> = {
  state: 'state = ?',
  agentId: 'agent_id = ?',
  type: "json_extract(record, '$.type') = ?",
  createdAfter: "json_extract(record, '$.createdAt') >= ?",
  createdBefore: "json_extract(record, '$.createdAt') < ?",
  idempotencyKey: 'idempotency_key = ?',
  traceId: "json_extract(record, '$.traceId') = ?",
};

/** A task as the store holds it in memory: unfinished ones always, written ones until the next flush. */
interface Slot {
  task: TaskRecord;
  /** Its row's sequence number; undefined until the row is first written. */
  seq: number | undefined;
  finishSeq: number | null;
  doneAt: number | null;
}

interface Row {
  seq: number;
  record: string;
}

/**
 * TaskStore in a SQLite file. Unfinished tasks are also kept in memory (loaded when the store
 * opens: that load is the recovery of the queue), so the pool's hot reads never touch the file;
 * finished tasks are read from the file. Writes are buffered in memory per task and flushed as one
 * row write each at the database's next commit() (or before a read that needs SQL), inside the
 * turn's transaction; reads see them at once.
 *
 * Retention as in MemoryTaskStore: a task is finished at the clock time it became terminal
 * (`done_at`) and in the order it did (`finish_seq`); purge deletes from the front of that order
 * while tasks are expired or more than retentionCount are kept. Reads purge first, so they never
 * see more than retention allows; writes of live tasks skip it and delete surplus in batches. A
 * backlog (retention lowered over a file holding many more) is deleted PURGE_BATCH per purge, so
 * until it is gone reads may see finished tasks beyond retention.
 */
export class SqliteTaskStore implements TaskStore {
  readonly options: Readonly<SqliteTaskStoreOptions>;
  private readonly clock: Clock;
  private readonly live = new Map<string, Slot>();
  /** Tasks written since the last flush, in first-write order, so new rows get their seq in insertion order. */
  private readonly buffered = new Map<string, Slot>();
  private readonly counts = zeroCounts();
  /** Finished counts as the file holds them (a missing state: not saved yet). */
  private savedCounts: Partial<Record<TaskState, number>> = {};
  private finishedCount = 0;
  private nextFinishSeq = 1;
  /** done_at of the earliest finished task still kept, or undefined when none is. */
  private headDoneAt: number | undefined;
  private readonly sql;
  private readonly listStatements = new Map<string, Statement>();
  private readonly purgeSlack: number;

  constructor(
    private readonly database: SqliteDatabase,
    deps: { clock: Clock },
    options: Partial<SqliteTaskStoreOptions> = {},
  ) {
    const o = { ...DEFAULT_MEMORY_TASK_STORE_OPTIONS, ...options };
    if (!Number.isSafeInteger(o.retentionMs) || o.retentionMs < 1) throw new RangeError(`retentionMs must be a positive integer, got ${o.retentionMs}`);
    if (!Number.isSafeInteger(o.retentionCount) || o.retentionCount < 1)
      throw new RangeError(`retentionCount must be a positive integer, got ${o.retentionCount}`);
    this.options = Object.freeze(o);
    this.clock = deps.clock;
    this.purgeSlack = Math.min(1024, Math.floor(o.retentionCount / 16));
    const db = database.db;
    this.sql = {
      insert: db.prepare(
        'INSERT INTO tasks (task_id, state, agent_id, idempotency_key, priority, finish_seq, done_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare('UPDATE tasks SET state = ?, agent_id = ?, idempotency_key = ?, priority = ?, finish_seq = ?, done_at = ?, record = ? WHERE seq = ?'),
      get: db.prepare('SELECT seq, record FROM tasks WHERE task_id = ?'),
      exists: db.prepare('SELECT 1 FROM tasks WHERE task_id = ?').pluck(),
      stateOf: db.prepare('SELECT state FROM tasks WHERE task_id = ?').pluck(),
      byKey: db.prepare('SELECT seq, record FROM tasks WHERE idempotency_key = ? ORDER BY seq DESC LIMIT 1'),
      // The covering index holds only unfinished rows: read from it, never from the table.
      unfinished: db.prepare('SELECT seq, record FROM tasks INDEXED BY tasks_unfinished WHERE finish_seq IS NULL ORDER BY seq'),
      // Finished tasks only, from the covering index: unfinished ones are counted from memory.
      finishedCounts: db.prepare('SELECT state, count(*) AS n FROM tasks INDEXED BY tasks_finished WHERE finish_seq IS NOT NULL GROUP BY state'),
      savedCounts: db.prepare("SELECT name, value FROM counters WHERE name LIKE 'tasks.finished.%'"),
      saveCount: db.prepare('INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)'),
      lastFinish: db.prepare('SELECT max(finish_seq) FROM tasks WHERE finish_seq IS NOT NULL').pluck(),
      head: db.prepare('SELECT done_at FROM tasks WHERE finish_seq IS NOT NULL ORDER BY finish_seq LIMIT 1').pluck(),
      firstKept: db.prepare('SELECT finish_seq FROM tasks WHERE finish_seq IS NOT NULL AND done_at >= ? ORDER BY finish_seq LIMIT 1').pluck(),
      nthFinish: db.prepare('SELECT finish_seq FROM tasks WHERE finish_seq IS NOT NULL ORDER BY finish_seq LIMIT 1 OFFSET ?').pluck(),
      countsBefore: db.prepare('SELECT state, count(*) AS n FROM tasks WHERE finish_seq IS NOT NULL AND finish_seq < ? GROUP BY state'),
      deleteBefore: db.prepare('DELETE FROM tasks WHERE finish_seq IS NOT NULL AND finish_seq < ?'),
    };
    this.load();
    database.onRollback(() => this.load());
    database.onBeforeCommit(() => {
      this.flush();
      for (const state of TERMINAL_STATES) {
        if (this.savedCounts[state] === this.counts[state]) continue;
        this.sql.saveCount.run(FINISHED_COUNT + state, this.counts[state]);
        this.savedCounts[state] = this.counts[state];
      }
    });
  }

  insert(task: TaskRecord): void {
    try {
      this.insertRow(task);
    } catch (err) {
      if (!(err instanceof TaskStoreError)) throw err;
      // The id may belong to a finished task that is due for deletion: purge, then decide.
      this.purge();
      this.insertRow(task);
    }
  }

  private insertRow(task: TaskRecord): void {
    const id = task.taskId;
    if (this.live.has(id) || this.buffered.has(id) || this.sql.exists.get(id) !== undefined) throw new TaskStoreError('DUPLICATE', `task ${id} already exists`);
    const terminal = TERMINAL_STATES.has(task.state);
    const now = this.clock.now();
    const slot: Slot = { task, seq: undefined, finishSeq: terminal ? this.nextFinishSeq : null, doneAt: terminal ? now : null };
    this.touch(slot);
    this.counts[task.state]++;
    if (terminal) this.finished(now);
    else this.live.set(id, slot);
  }

  get(taskId: string): TaskRecord | undefined {
    const live = this.live.get(taskId);
    if (live) return live.task;
    this.flush();
    this.purge();
    const row = this.sql.get.get(taskId) as Row | undefined;
    return row && (JSON.parse(row.record) as TaskRecord);
  }

  update(task: TaskRecord): void {
    const old = this.live.get(task.taskId);
    if (!old) {
      this.flush();
      this.purge();
      const state = this.sql.stateOf.get(task.taskId) as string | undefined;
      if (state !== undefined) throw new TaskStoreError('TERMINAL', `task ${task.taskId} is ${state} and cannot change`);
      throw new TaskStoreError('NOT_FOUND', `task ${task.taskId} does not exist`);
    }
    const terminal = TERMINAL_STATES.has(task.state);
    const now = this.clock.now();
    this.counts[old.task.state]--;
    this.counts[task.state]++;
    // The slot is updated in place, so unfinished() keeps insertion order.
    old.task = task;
    old.finishSeq = terminal ? this.nextFinishSeq : null;
    old.doneAt = terminal ? now : null;
    this.touch(old);
    if (terminal) {
      this.live.delete(task.taskId);
      this.finished(now);
    }
  }

  /** task.retry: a FAILED or CANCELLED task becomes the given PENDING record in place (same row, same list position). */
  reopen(task: TaskRecord): void {
    const id = task.taskId;
    if (this.live.has(id)) throw new TaskStoreError(NOT_REOPENABLE, `task ${id} is not finished`);
    this.flush();
    this.purge();
    const row = this.sql.get.get(id) as Row | undefined;
    if (!row) throw new TaskStoreError('NOT_FOUND', `task ${id} does not exist`);
    const old = JSON.parse(row.record) as TaskRecord;
    if ((old.state !== 'FAILED' && old.state !== 'CANCELLED') || task.state !== 'PENDING') {
      throw new TaskStoreError(NOT_REOPENABLE, `task ${id} is ${old.state}; only FAILED or CANCELLED tasks reopen, as PENDING`);
    }
    this.counts[old.state]--;
    this.finishedCount--;
    this.counts[task.state]++;
    const slot: Slot = { task, seq: row.seq, finishSeq: null, doneAt: null };
    this.touch(slot);
    this.live.set(id, slot);
  }

  findByIdempotencyKey(key: string): TaskRecord | undefined {
    this.flush();
    this.purge();
    const row = this.sql.byKey.get(key) as Row | undefined;
    if (!row) return undefined;
    const task = JSON.parse(row.record) as TaskRecord;
    return this.live.get(task.taskId)?.task ?? task;
  }

  list(filter: TaskFilter, page: { limit: number; cursor?: string; maxBytes?: number }): TaskPage {
    if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new RangeError(`limit must be a positive integer, got ${page.limit}`);
    this.flush();
    this.purge();
    const before = page.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(page.cursor);
    if (before === undefined) return { tasks: [] };
    const where = ['seq < ?'];
    const args: unknown[] = [before];
    for (const [field, value] of Object.entries(filter as ListFilter)) {
      const condition = FILTER_SQL[field as keyof ListFilter];
      if (value === undefined) continue;
      if (condition === undefined) throw new RangeError(`unknown task filter ${field}`);
      where.push(condition);
      args.push(value);
    }
    const rows = this.listStatement(where.join(' AND ')).all(...args, page.limit + 1) as Row[];
    const maxBytes = page.maxBytes ?? Infinity;
    let bytes = 0;
    const tasks: TaskRecord[] = [];
    for (const [i, r] of rows.entries()) {
      if (i === page.limit) return { tasks, nextCursor: encodeCursor(rows[i - 1]!.seq) };
      // The stored text is the record's JSON, so its length is what the reply will carry.
      bytes += Buffer.byteLength(r.record) + 1;
      if (bytes > maxBytes && tasks.length > 0) return { tasks, nextCursor: encodeCursor(rows[i - 1]!.seq) };
      tasks.push(JSON.parse(r.record) as TaskRecord);
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
    return this.live.size + this.finishedCount;
  }

  /** (Re)read what the file holds: on open, and after a failed commit rolled back. */
  private load(): void {
    this.live.clear();
    this.buffered.clear();
    for (const row of this.sql.unfinished.iterate() as IterableIterator<Row>) {
      const task = JSON.parse(row.record) as TaskRecord;
      this.live.set(task.taskId, { task, seq: row.seq, finishSeq: null, doneAt: null });
    }
    Object.assign(this.counts, zeroCounts());
    for (const { task } of this.live.values()) this.counts[task.state]++;
    // Counting a million finished rows costs seconds at start-up, so every commit saves the counts.
    const saved = this.sql.savedCounts.all() as { name: string; value: number }[];
    this.savedCounts = {};
    if (saved.length === TERMINAL_STATES.size) {
      for (const { name, value } of saved) {
        const state = name.slice(FINISHED_COUNT.length) as TaskState;
        this.counts[state] += value;
        this.savedCounts[state] = value;
      }
    } else for (const { state, n } of this.sql.finishedCounts.all() as { state: TaskState; n: number }[]) this.counts[state] += n;
    this.finishedCount = [...TERMINAL_STATES].reduce((sum, s) => sum + this.counts[s], 0);
    this.nextFinishSeq = ((this.sql.lastFinish.get() as number | null) ?? 0) + 1;
    this.headDoneAt = (this.sql.head.get() as number | undefined) ?? undefined;
  }

  /** Note a write; the turn's transaction opens now so that commit() flushes it. */
  private touch(slot: Slot): void {
    if (!this.database.dirty) this.database.write(() => undefined);
    this.buffered.set(slot.task.taskId, slot);
  }

  /**
   * Write every buffered task as one row write each: a task created, started and completed within
   * one turn costs one INSERT, not three statements. Runs before any SQL read and at commit.
   */
  private flush(): void {
    if (this.buffered.size === 0) return;
    this.database.write(() => {
      for (const slot of this.buffered.values()) {
        const t = slot.task;
        const record = JSON.stringify(t);
        if (slot.seq === undefined) {
          slot.seq = Number(
            this.sql.insert.run(t.taskId, t.state, t.agentId ?? null, t.idempotencyKey ?? null, t.priority, slot.finishSeq, slot.doneAt, record)
              .lastInsertRowid,
          );
        } else {
          this.sql.update.run(t.state, t.agentId ?? null, t.idempotencyKey ?? null, t.priority, slot.finishSeq, slot.doneAt, record, slot.seq);
        }
      }
    });
    this.buffered.clear();
  }

  private finished(now: number): void {
    this.nextFinishSeq++;
    this.finishedCount++;
    this.headDoneAt ??= now;
    // Writes delete in batches (reads purge exactly), so a busy turn pays one DELETE, not one per task.
    if (this.finishedCount > this.options.retentionCount + this.purgeSlack) this.purge();
  }

  /** Delete expired and surplus finished tasks from the front of the finishing order; O(deleted). */
  private purge(): void {
    const cutoff = this.clock.now() - this.options.retentionMs;
    const expired = this.headDoneAt !== undefined && this.headDoneAt < cutoff;
    const surplus = this.finishedCount - this.options.retentionCount;
    if (!expired && surplus <= 0) return;
    this.flush();
    let bound = expired ? ((this.sql.firstKept.get(cutoff) as number | undefined) ?? this.nextFinishSeq) : 0;
    if (surplus > 0) bound = Math.max(bound, this.sql.nthFinish.get(surplus) as number);
    // A backlog (retention lowered over a big file) goes a batch per call, not in one long stall.
    const batchEnd = this.sql.nthFinish.get(PURGE_BATCH) as number | undefined;
    if (batchEnd !== undefined) bound = Math.min(bound, batchEnd);
    this.database.write(() => {
      for (const { state, n } of this.sql.countsBefore.all(bound) as { state: TaskState; n: number }[]) {
        this.counts[state] -= n;
        this.finishedCount -= n;
      }
      this.sql.deleteBefore.run(bound);
    });
    this.headDoneAt = (this.sql.head.get() as number | undefined) ?? undefined;
  }

  private listStatement(where: string): Statement {
    let statement = this.listStatements.get(where);
    if (!statement) {
      statement = this.database.db.prepare(`SELECT seq, record FROM tasks WHERE ${where} ORDER BY seq DESC LIMIT ?`);
      this.listStatements.set(where, statement);
    }
    return statement;
  }
}
