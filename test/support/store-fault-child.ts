/**
 * Child process for the store fault tests: opens the store at argv[2] and commits batches of
 * tasks until the store refuses (a file size limit or a read-only file set up by the parent),
 * then prints one JSON line: what failed, what had been committed, and what the store reads now.
 */
import { SqliteDatabase } from '../../src/stores/sqlite-database.js';
import { StoreError } from '../../src/stores/store-error.js';
import { SqliteTaskStore } from '../../src/stores/sqlite-task-store.js';
import { systemClock } from '../../src/time/clock.js';
import { makeTask } from './task-records.js';

const path = process.argv[2]!;
const report = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

let db: SqliteDatabase;
try {
  db = new SqliteDatabase(path);
} catch (err) {
  report({ failedAt: 'open', code: err instanceof StoreError ? err.code : `untyped: ${String(err)}` });
  process.exit(0);
}
const store = new SqliteTaskStore(db, { clock: systemClock }, { retentionCount: 10_000_000 });
const before = store.unfinished().length;
let committed = before;
let n = 0;
const task = () =>
  makeTask({
    taskId: `fault-${process.pid}-${++n}`,
    type: 'fill',
    payload: { pad: 'z'.repeat(2000) },
    maxAttempts: 1,
    timeoutMs: 1000,
    createdAt: 0,
    traceId: 't',
  });
for (let batch = 0; batch < 100_000; batch++) {
  let failedAt = 'write';
  try {
    for (let i = 0; i < 50; i++) store.insert(task());
    failedAt = 'commit';
    db.commit();
    committed += 50;
  } catch (err) {
    const code = err instanceof StoreError ? err.code : `untyped: ${String(err)}`;
    const after = { unfinished: store.unfinished().length, size: store.size(), pending: store.countByState().PENDING, dirty: db.dirty };
    // A second attempt after the failure must fail the same typed way, not corrupt anything.
    let again: string;
    try {
      store.insert(task());
      db.commit();
      again = 'committed';
    } catch (e) {
      again = e instanceof StoreError ? e.code : `untyped: ${String(e)}`;
    }
    report({ failedAt, code, before, committed, after, again });
    process.exit(0);
  }
}
report({ failedAt: 'never', committed });
