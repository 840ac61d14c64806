import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStore } from '../../../src/pool/task-store.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { SqliteTaskStore } from '../../../src/stores/sqlite-task-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { makeTask, taskStoreConformance } from '../pool/task-store-conformance.js';

const OPTIONS = { retentionMs: 60_000, retentionCount: 5 };
const open: SqliteDatabase[] = [];
const database = (path = ':memory:'): SqliteDatabase => {
  const db = new SqliteDatabase(path);
  open.push(db);
  return db;
};
afterEach(() => {
  for (const db of open.splice(0)) db.db.close();
});

/** The store with a commit after every call, as the daemon commits after every turn. */
function committingEachCall(store: TaskStore, db: SqliteDatabase): TaskStore {
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          db.commit();
        }
      };
    },
  });
}

taskStoreConformance('SqliteTaskStore (writes left uncommitted)', (clock) => new SqliteTaskStore(database(), { clock }, OPTIONS), OPTIONS);
taskStoreConformance(
  'SqliteTaskStore (a file, committed after every call)',
  (clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-store-'));
    const db = database(join(dir, 'nested', 'coordd.db'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    return committingEachCall(new SqliteTaskStore(db, { clock }, OPTIONS), db);
  },
  OPTIONS,
);

describe('SqliteTaskStore', () => {
  let dir: string;
  let clock: VirtualClock;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-store-'));
    clock = new VirtualClock(1_700_000_000_000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was committed across a reopen, with order, counts, keys and retention clocks', () => {
    const path = join(dir, 'a.db');
    const db = database(path);
    const store = new SqliteTaskStore(db, { clock }, OPTIONS);
    const tasks = [makeTask({ idempotencyKey: 'k1' }), makeTask({ priority: 5 }), makeTask(), makeTask()];
    for (const t of tasks) store.insert(t);
    store.update({ ...tasks[1]!, state: 'IN_PROGRESS', agentId: 'a1', epoch: 1 });
    store.update({ ...tasks[2]!, state: 'COMPLETED', result: { ok: true }, finishedAt: clock.now() });
    db.commit();
    db.close();

    const again = new SqliteTaskStore(database(path), { clock }, OPTIONS);
    expect(again.unfinished().map((t) => t.taskId)).to.deep.equal([tasks[0]!.taskId, tasks[1]!.taskId, tasks[3]!.taskId]);
    expect(again.get(tasks[1]!.taskId)).to.deep.include({ state: 'IN_PROGRESS', agentId: 'a1', epoch: 1 });
    expect(again.get(tasks[2]!.taskId)?.result).to.deep.equal({ ok: true });
    expect(again.findByIdempotencyKey('k1')?.taskId).to.equal(tasks[0]!.taskId);
    expect(again.countByState()).to.deep.equal({ PENDING: 2, IN_PROGRESS: 1, COMPLETED: 1, FAILED: 0, CANCELLED: 0 });
    expect(again.list({}, { limit: 10 }).tasks.map((t) => t.taskId)).to.deep.equal(tasks.map((t) => t.taskId).reverse());
    clock.advance(OPTIONS.retentionMs + 1);
    expect(again.get(tasks[2]!.taskId)).to.equal(undefined);
    expect(again.size()).to.equal(3);
  });

  it('reads its counts back from the file after retention deleted rows, and they match the rows', () => {
    const path = join(dir, 'counts.db');
    const db = database(path);
    const store = new SqliteTaskStore(db, { clock }, OPTIONS);
    for (let i = 0; i < 40; i++) store.insert(makeTask({ state: i % 3 ? 'COMPLETED' : 'FAILED' }));
    store.insert(makeTask());
    db.commit();
    store.insert(makeTask({ state: 'CANCELLED' }));
    db.commit();
    const counts = store.countByState();
    db.close();
    const again = database(path);
    const rows = Object.fromEntries(
      (again.db.prepare('SELECT state, count(*) AS n FROM tasks GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]),
    );
    expect(new SqliteTaskStore(again, { clock }, OPTIONS).countByState()).to.deep.equal(counts);
    expect(counts.FAILED + counts.COMPLETED + counts.CANCELLED).to.equal(OPTIONS.retentionCount);
    expect({ PENDING: 0, IN_PROGRESS: 0, COMPLETED: 0, FAILED: 0, CANCELLED: 0, ...rows }).to.deep.equal(counts);
  });

  it('loses what was not committed when the process goes away, and nothing else', () => {
    const path = join(dir, 'b.db');
    const db = database(path);
    const store = new SqliteTaskStore(db, { clock }, OPTIONS);
    const kept = makeTask();
    store.insert(kept);
    db.commit();
    store.insert(makeTask());
    store.update({ ...kept, state: 'IN_PROGRESS', agentId: 'a' });
    db.db.close(); // as a crash: no commit
    const again = new SqliteTaskStore(database(path), { clock }, OPTIONS);
    expect(again.unfinished()).to.deep.equal([kept]);
  });

  it('rolls back to the last commit on rollback(), caches included', () => {
    const db = database();
    const store = new SqliteTaskStore(db, { clock }, OPTIONS);
    const kept = makeTask();
    store.insert(kept);
    db.commit();
    const gone = makeTask();
    store.insert(gone);
    store.update({ ...kept, state: 'FAILED' });
    expect(db.dirty).to.equal(true);
    db.rollback();
    expect(db.dirty).to.equal(false);
    expect(store.get(gone.taskId)).to.equal(undefined);
    expect(store.get(kept.taskId)).to.deep.equal(kept);
    expect(store.countByState().PENDING).to.equal(1);
    expect(store.countByState().FAILED).to.equal(0);
    expect(store.size()).to.equal(1);
  });

  it('filters by type, creation time, idempotency key and trace id in SQL (task.list), paging exactly', () => {
    const store = new SqliteTaskStore(database(), { clock }, OPTIONS);
    const tasks = Array.from({ length: 6 }, (_, i) =>
      makeTask({ type: i % 2 === 0 ? 'even' : 'odd', createdAt: 1000 + i * 10, ...(i === 3 ? { idempotencyKey: 'k3', traceId: 'trace-three' } : {}) }),
    );
    for (const t of tasks) store.insert(t);
    const list = (filter: object): string[] => store.list(filter, { limit: 10 }).tasks.map((t) => t.taskId);
    expect(list({ type: 'even' })).to.deep.equal([tasks[4]!, tasks[2]!, tasks[0]!].map((t) => t.taskId));
    expect(list({ createdAfter: 1010, createdBefore: 1030 })).to.deep.equal([tasks[2]!.taskId, tasks[1]!.taskId]);
    expect(list({ idempotencyKey: 'k3' })).to.deep.equal([tasks[3]!.taskId]);
    expect(list({ traceId: 'trace-three', type: 'odd', state: 'PENDING' })).to.deep.equal([tasks[3]!.taskId]);
    expect(list({ traceId: 'nobody' })).to.deep.equal([]);
    const first = store.list({ type: 'odd' } as object, { limit: 2 });
    expect(store.list({ type: 'odd' } as object, { limit: 2, cursor: first.nextCursor! }).tasks.map((t) => t.taskId)).to.deep.equal([tasks[1]!.taskId]);
    expect(() => store.list({ colour: 'red' } as object, { limit: 1 })).to.throw(RangeError, /colour/);
  });

  it('reopens a FAILED or CANCELLED task as PENDING in place (task.retry), and refuses anything else', () => {
    const db = database(join(dir, 'reopen.db'));
    const store = new SqliteTaskStore(db, { clock }, OPTIONS);
    const [a, b, c] = [makeTask({ idempotencyKey: 'key-0' }), makeTask({ idempotencyKey: 'key-1' }), makeTask()];
    for (const t of [a!, b!, c!]) store.insert(t);
    const failed = { ...b!, state: 'FAILED' as const, finishedAt: clock.now() };
    store.update(failed);
    store.update({ ...c!, state: 'COMPLETED' });
    db.commit();
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (e) {
        return (e as { code: string }).code;
      }
      return 'none';
    };
    expect(code(() => store.reopen(makeTask()))).to.equal('NOT_FOUND');
    expect(code(() => store.reopen(a!))).to.equal('NOT_REOPENABLE');
    expect(code(() => store.reopen({ ...c!, state: 'PENDING' }))).to.equal('NOT_REOPENABLE');
    expect(code(() => store.reopen({ ...failed, state: 'IN_PROGRESS' }))).to.equal('NOT_REOPENABLE');
    const again = { ...failed, state: 'PENDING' as const, finishedAt: undefined };
    store.reopen(again);
    expect(store.get(b!.taskId)).to.deep.equal(again);
    expect(store.findByIdempotencyKey('key-1')!.taskId).to.equal(b!.taskId);
    expect(store.list({}, { limit: 10 }).tasks.map((t) => t.taskId)).to.deep.equal([c!.taskId, b!.taskId, a!.taskId]);
    expect(store.countByState()).to.include({ PENDING: 2, FAILED: 0, COMPLETED: 1 });
    db.commit();
    const reopened = new SqliteTaskStore(database(join(dir, 'reopen.db')), { clock }, OPTIONS);
    expect(reopened.countByState()).to.include({ PENDING: 2, FAILED: 0, COMPLETED: 1 });
    expect(reopened.unfinished().map((t) => t.taskId)).to.deep.equal([a!.taskId, b!.taskId]);
    store.update({ ...again, state: 'COMPLETED' });
    expect(store.size()).to.equal(3);
  });

  it('refuses retention settings that are not positive integers', () => {
    const db = database();
    for (const bad of [0, -1, 1.5]) {
      expect(() => new SqliteTaskStore(db, { clock }, { retentionMs: bad })).to.throw(RangeError, /retentionMs/);
      expect(() => new SqliteTaskStore(db, { clock }, { retentionCount: bad })).to.throw(RangeError, /retentionCount/);
    }
    expect(() => new SqliteTaskStore(db, { clock }).list({}, { limit: 0 })).to.throw(RangeError);
  });

  it('answers a cursor it did not make with an empty page', () => {
    const store = new SqliteTaskStore(database(), { clock });
    store.insert(makeTask());
    for (const cursor of ['', 'garbage!', Buffer.from('-3').toString('base64url')]) expect(store.list({}, { limit: 5, cursor })).to.deep.equal({ tasks: [] });
  });

  it('keeps the file bounded by retention: deleted rows free pages that later rows reuse', () => {
    const db = database(join(dir, 'c.db'));
    const store = new SqliteTaskStore(db, { clock }, { retentionCount: 100 });
    const pages = (): number => db.db.pragma('page_count', { simple: true }) as number;
    const round = (): void => {
      for (let i = 0; i < 2_000; i++) store.insert(makeTask({ state: 'COMPLETED', payload: { pad: 'x'.repeat(200) } }));
      db.commit();
    };
    round();
    round();
    const steady = pages();
    for (let i = 0; i < 5; i++) round();
    expect(pages()).to.be.at.most(steady);
    expect(store.size()).to.equal(100);
  });

  it('deletes a backlog (retention lowered over a big file) a batch per purge, never in one long stall', () => {
    const path = join(dir, 'backlog.db');
    const db = database(path);
    const big = new SqliteTaskStore(db, { clock }, { retentionCount: 10_000 });
    for (let i = 0; i < 6_000; i++) big.insert(makeTask({ state: 'COMPLETED' }));
    db.commit();
    db.db.close();
    const reopened = database(path);
    const store = new SqliteTaskStore(reopened, { clock }, { retentionCount: 10 });
    const rows = (): number => reopened.db.prepare('SELECT count(*) FROM tasks').pluck().get() as number;
    const sizes = [store.size(), store.size(), store.size()];
    expect(sizes).to.deep.equal([6_000 - 2_048, 6_000 - 2 * 2_048, 10]);
    expect(rows()).to.equal(10);
  });
});
