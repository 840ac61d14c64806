import { expect } from 'chai';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../../src/stores/migrations.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { StoreError } from '../../../src/stores/store-error.js';
import { SqliteTaskStore } from '../../../src/stores/sqlite-task-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { makeTask } from '../pool/task-store-conformance.js';

/**
 * Rows written by a file at each schema version, as that version's code wrote them (raw SQL, so
 * later code cannot drift). Adding schema version N+1: add its migration to MIGRATIONS and, when it
 * changes tables, a line here for version N+1; every earlier file is then migrated through it.
 */
const SEEDS: Record<number, (db: BetterSqlite3.Database) => void> = {
  1: (db) => {
    const task = makeTask({ taskId: 'seeded-v1', idempotencyKey: 'seed-key', priority: 3 });
    db.prepare('INSERT INTO tasks (task_id, state, agent_id, idempotency_key, priority, record) VALUES (?, ?, NULL, ?, ?, ?)').run(
      task.taskId,
      task.state,
      'seed-key',
      3,
      JSON.stringify(task),
    );
    db.prepare("INSERT INTO counters (name, value) VALUES ('lease.fencing', 41)").run();
  },
};

describe('schema migrations (PRAGMA user_version)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has one migration per version and writes the newest', () => {
    expect(SCHEMA_VERSION).to.equal(MIGRATIONS.length).and.be.at.least(1);
  });

  for (let from = 0; from <= SCHEMA_VERSION; from++) {
    it(`opens a file left at version ${from} and brings it to ${SCHEMA_VERSION}, keeping its rows`, () => {
      const path = join(dir, `v${from}.db`);
      const raw = new BetterSqlite3(path);
      raw.pragma('auto_vacuum = INCREMENTAL');
      for (let v = 1; v <= from; v++) {
        migrate(raw, v);
        SEEDS[v]?.(raw);
      }
      expect(raw.pragma('user_version', { simple: true })).to.equal(from);
      raw.close();

      const db = new SqliteDatabase(path);
      try {
        expect(db.schemaVersion).to.equal(SCHEMA_VERSION);
        expect(db.db.pragma('journal_mode', { simple: true })).to.equal('wal');
        expect(db.db.pragma('auto_vacuum', { simple: true }), 'INCREMENTAL').to.equal(2);
        const store = new SqliteTaskStore(db, { clock: new VirtualClock() });
        if (from >= 1) expect(store.findByIdempotencyKey('seed-key')?.taskId).to.equal('seeded-v1');
        const fresh = makeTask();
        store.insert(fresh);
        db.commit();
        expect(store.get(fresh.taskId)).to.deep.equal(fresh);
        expect(store.size()).to.equal(from >= 1 ? 2 : 1);
      } finally {
        db.close();
      }
    });
  }

  it('migrating twice is a no-op', () => {
    const db = new SqliteDatabase(join(dir, 'twice.db'));
    expect(migrate(db.db)).to.equal(SCHEMA_VERSION);
    expect(db.schemaVersion).to.equal(SCHEMA_VERSION);
    db.close();
  });

  it('refuses a file written by a newer coordd (TOO_NEW), leaving it untouched', () => {
    const path = join(dir, 'future.db');
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    let error: unknown;
    try {
      new SqliteDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(StoreError);
    expect((error as StoreError).code).to.equal('TOO_NEW');
    const again = new BetterSqlite3(path);
    expect(again.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION + 1);
    again.close();
  });

  it('chooses normal or full fsync', () => {
    for (const [fsync, level] of [
      ['normal', 1],
      ['full', 2],
    ] as const) {
      const db = new SqliteDatabase(join(dir, `${fsync}.db`), { fsync });
      expect(db.db.pragma('synchronous', { simple: true })).to.equal(level);
      db.close();
    }
  });
});
