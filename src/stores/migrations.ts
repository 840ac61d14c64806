import type { Database } from 'better-sqlite3';
import { StoreError } from './store-error.js';

/**
 * The schema, one entry per version: entry i takes a file from user_version i to i + 1. Never edit
 * a released entry; add the next one. test/unit/stores/migrations.test.ts opens a file left at every
 * earlier version and checks it reaches the newest.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: tasks (the record as JSON plus the columns queries need), counters, leases, conversations, scaling.
  `CREATE TABLE tasks (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL UNIQUE,
     state TEXT NOT NULL,
     agent_id TEXT,
     idempotency_key TEXT,
     priority INTEGER NOT NULL,
     finish_seq INTEGER,
     done_at INTEGER,
     record TEXT NOT NULL
   );
   CREATE INDEX tasks_unfinished ON tasks(seq) WHERE finish_seq IS NULL;
   CREATE INDEX tasks_finished ON tasks(finish_seq, done_at, state) WHERE finish_seq IS NOT NULL;
   CREATE INDEX tasks_idempotency ON tasks(idempotency_key, seq) WHERE idempotency_key IS NOT NULL;
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE leases (lease_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE lease_outcomes (waiter_key TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
   CREATE INDEX lease_outcomes_seq ON lease_outcomes(seq);
   CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
   CREATE INDEX conversations_updated ON conversations(updated_at);
   CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE spawn_counts (template TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;`,
  // 2: unfinished tasks' records in their own (partial, covering) index, so start-up reads them as a
  // few contiguous pages instead of one random page each among a million finished rows.
  `DROP INDEX tasks_unfinished;
   CREATE INDEX tasks_unfinished ON tasks(seq, record) WHERE finish_seq IS NULL;`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the file to `target` (default: the newest), one transaction per step; refuse a file from a newer build. */
export function migrate(db: Database, target = SCHEMA_VERSION): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) throw new StoreError('TOO_NEW', `the store file has schema version ${from}; this coordd knows up to ${SCHEMA_VERSION}`);
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return Math.max(from, target);
}
