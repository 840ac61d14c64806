import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';
import { StoreError, storeErrorOf } from './store-error.js';
import { systemClock, type Clock } from '../time/clock.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, WalCheckpointer } from './wal-checkpointer.js';

/** `normal` survives a process crash; `full` also an OS crash or power loss (an fsync per commit). */
export type FsyncMode = 'normal' | 'full';

export interface SqliteDatabaseOptions {
  /** @defaultValue 'normal' */
  fsync: FsyncMode;
  /** Commits between checks whether free pages exceed a quarter of the file. @defaultValue 1000 */
  vacuumCheckEvery: number;
  /** Open without write access (inspection, tests). @defaultValue false */
  readonly: boolean;
  /** Checkpoint the WAL from a worker thread instead of inside commits (see WalCheckpointer). @defaultValue false */
  backgroundCheckpoint: boolean;
  /** What times the background checkpoints. @defaultValue systemClock */
  clock: Clock;
}

export const DEFAULT_SQLITE_DATABASE_OPTIONS: Readonly<SqliteDatabaseOptions> = Object.freeze({
  fsync: 'normal',
  vacuumCheckEvery: 1000,
  readonly: false,
  backgroundCheckpoint: false,
  clock: systemClock,
});

/** WAL pages after which a commit checkpoints itself while a background checkpointer runs: only if that thread falls behind. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 4_096;

/**
 * One SQLite file shared by every durable store, with group commit: writes made through write()
 * join one open transaction, which commit() ends. The daemon calls commit() once per event-loop
 * turn before that turn's messages leave, so a crash loses only what nobody was told. Reads on the
 * same connection see uncommitted writes.
 *
 * A failure rolls back to the last commit and calls every onRollback hook, so stores that cache
 * rows in memory reload them: after a StoreError the stores read exactly as of the last commit.
 */
export class SqliteDatabase {
  readonly options: Readonly<SqliteDatabaseOptions>;
  readonly db: Database;
  private readonly rollbackHooks: (() => void)[] = [];
  private readonly commitHooks: (() => void)[] = [];
  private readonly failureHooks: ((error: StoreError) => void)[] = [];
  private commitsSinceCheck = 0;
  private checkpointer: WalCheckpointer | undefined;

  constructor(
    readonly path: string,
    options: Partial<SqliteDatabaseOptions> = {},
  ) {
    this.options = Object.freeze({ ...DEFAULT_SQLITE_DATABASE_OPTIONS, ...options });
    try {
      if (path !== ':memory:' && !this.options.readonly) mkdirSync(dirname(path), { recursive: true });
      this.db = new BetterSqlite3(path, { readonly: this.options.readonly, fileMustExist: this.options.readonly });
    } catch (err) {
      throw storeErrorOf(err, `opening ${path}`);
    }
    try {
      this.configure();
    } catch (err) {
      this.db.close();
      throw storeErrorOf(err, `preparing ${path}`);
    }
  }

  /** The schema version of the file. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Whether writes wait for commit(). */
  get dirty(): boolean {
    return this.db.inTransaction;
  }

  /** Call `hook` after a failure rolled back uncommitted writes (stores reload their caches). */
  onRollback(hook: () => void): void {
    this.rollbackHooks.push(hook);
  }

  /** Call `hook` after a write or commit failed and was rolled back (the daemon fails the turn). */
  onFailure(hook: (error: StoreError) => void): void {
    this.failureHooks.push(hook);
  }

  /** Call `hook` inside every commit's transaction just before it ends (stores write their summaries). */
  onBeforeCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }

  /** Run `fn` inside the open transaction; a constraint error passes through, any other failure rolls back and throws StoreError. */
  write<T>(fn: () => T): T {
    try {
      if (!this.db.inTransaction) this.db.exec('BEGIN');
      return fn();
    } catch (err) {
      if (String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw err;
      throw this.fail(err, 'a write');
    }
  }

  /** Make every write since the last commit durable in one transaction; on failure roll them all back and throw StoreError. */
  commit(): void {
    if (!this.db.inTransaction) return;
    try {
      for (const hook of this.commitHooks) hook();
      this.db.exec('COMMIT');
    } catch (err) {
      throw this.fail(err, 'commit');
    }
    if (++this.commitsSinceCheck >= this.options.vacuumCheckEvery) this.reclaim();
  }

  /** Drop uncommitted writes on purpose (tests, shutdown after a failure). */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    for (const hook of this.rollbackHooks) hook();
  }

  /**
   * Hand free pages back to the file system when more than a quarter of the file is free. Retention
   * frees pages that new rows reuse, so a steady daemon's file stops growing without this; it only
   * shrinks the file after a burst (auto_vacuum=INCREMENTAL keeps the free list movable).
   */
  reclaim(): number {
    this.commitsSinceCheck = 0;
    if (this.db.inTransaction || this.options.readonly) return 0;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    if (free * 4 <= pages) return 0;
    this.db.pragma('incremental_vacuum');
    return free;
  }

  /** Commit what is pending and close the file. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.commit();
    } finally {
      this.db.close();
      this.checkpointer?.close();
    }
  }

  private configure(): void {
    const db = this.db;
    if (this.options.readonly) return;
    // auto_vacuum must be chosen before the first table exists.
    if (this.schemaVersion === 0) db.pragma('auto_vacuum = INCREMENTAL');
    if (this.path !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreError('IO', `${this.path} cannot use WAL mode (got ${String(mode)})`);
    }
    db.pragma(`synchronous = ${this.options.fsync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -32768');
    db.pragma('busy_timeout = 1000');
    migrate(db);
    if (this.options.backgroundCheckpoint && this.path !== ':memory:') {
      db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = new WalCheckpointer(this.path, this.options.fsync === 'full' ? 'FULL' : 'NORMAL', DEFAULT_CHECKPOINT_INTERVAL_MS, this.options.clock);
    }
  }

  private fail(err: unknown, doing: string): StoreError {
    const error = storeErrorOf(err, `${doing} on ${this.path}`);
    try {
      this.rollback();
    } catch {
      // The rollback itself failed (the file is gone or unwritable): the next write begins afresh.
      for (const hook of this.rollbackHooks) hook();
    }
    for (const hook of this.failureHooks) hook(error);
    return error;
  }
}
