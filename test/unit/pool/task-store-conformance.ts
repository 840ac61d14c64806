import { expect } from 'chai';
import { TaskStoreError, type TaskRecord, type TaskStore, type TaskStoreErrorCode } from '../../../src/pool/task-store.js';
import { TASK_STATES, TaskRecord as TaskRecordSchema, TERMINAL_STATES, type TaskState } from '../../../src/schemas/task.js';
import { makeTask } from '../../support/task-records.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

export { makeTask } from '../../support/task-records.js';

/** Run `fn` and return the TaskStoreError code it threw (fails the test if it threw nothing else). */
function codeOf(fn: () => void): TaskStoreErrorCode {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(TaskStoreError);
    return (e as TaskStoreError).code;
  }
  expect.fail('expected a TaskStoreError');
}

const ids = (tasks: readonly TaskRecord[]): string[] => tasks.map((t) => t.taskId);

/**
 * The behaviour every TaskStore must show. `make` builds an empty store on the given clock,
 * configured with `options` (the suite needs them to probe retention).
 */
export function taskStoreConformance(name: string, make: (clock: VirtualClock) => TaskStore, options: { retentionMs: number; retentionCount: number }): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let clock: VirtualClock;
    let store: TaskStore;

    beforeEach(() => {
      clock = new VirtualClock();
      store = make(clock);
    });

    const finish = (task: TaskRecord, state: TaskState = 'COMPLETED'): TaskRecord => {
      const done = { ...task, state, finishedAt: clock.now() };
      store.update(done);
      return done;
    };
    const insertAll = (n: number, overrides: (i: number) => Partial<TaskRecord> = () => ({})): TaskRecord[] =>
      Array.from({ length: n }, (_, i) => {
        const t = makeTask(overrides(i));
        store.insert(t);
        return t;
      });
    const pageAll = (filter: Parameters<TaskStore['list']>[0], limit: number, between?: () => void): TaskRecord[] => {
      const seen: TaskRecord[] = [];
      let cursor: string | undefined;
      for (let pages = 0; ; pages++) {
        expect(pages, 'paging never ends').to.be.lessThan(10_000);
        const page = store.list(filter, cursor === undefined ? { limit } : { limit, cursor });
        expect(page.tasks.length).to.be.at.most(limit);
        seen.push(...page.tasks);
        if (page.nextCursor === undefined) return seen;
        expect(page.tasks.length, 'a page with a next cursor is full').to.equal(limit);
        cursor = page.nextCursor;
        between?.();
      }
    };

    it('makeTask builds records the wire schema accepts', () => {
      expect(TaskRecordSchema.safeParse(makeTask()).success).to.equal(true);
      const finished = makeTask({
        state: 'FAILED',
        agentId: 'agent-1',
        epoch: 1,
        attempts: [
          {
            attempt: 1,
            agentId: 'agent-1',
            epoch: 1,
            startedAt: 1_700_000_000_000,
            finishedAt: 1_700_000_000_500,
            outcome: 'failed',
            error: { code: -32000, message: 'boom' },
          },
        ],
        requiredCapabilities: ['gpu'],
        idempotencyKey: 'k',
        error: { code: -32000, message: 'boom' },
        finishedAt: 1_700_000_000_500,
      });
      expect(TaskRecordSchema.safeParse(finished).success).to.equal(true);
      expect(makeTask().taskId).to.not.equal(makeTask().taskId);
    });

    describe('insert, get, update', () => {
      it('returns an inserted task, and undefined for an unknown id', () => {
        const t = makeTask({ priority: 7, payload: { deep: [1, 2] } });
        store.insert(t);
        expect(store.get(t.taskId)).to.deep.equal(t);
        expect(store.get('nope')).to.equal(undefined);
        expect(store.size()).to.equal(1);
      });

      it('refuses a second insert with the same id (DUPLICATE) and keeps the first', () => {
        const t = makeTask();
        store.insert(t);
        expect(codeOf(() => store.insert({ ...t, type: 'other' }))).to.equal('DUPLICATE');
        expect(store.get(t.taskId)).to.deep.equal(t);
        expect(store.size()).to.equal(1);
      });

      it('replaces a task on update', () => {
        const t = makeTask();
        store.insert(t);
        const running = { ...t, state: 'IN_PROGRESS' as const, agentId: 'a1', epoch: 1, progress: 0.5 };
        store.update(running);
        expect(store.get(t.taskId)).to.deep.equal(running);
        expect(store.size()).to.equal(1);
      });

      it('refuses to update an unknown task (NOT_FOUND)', () => {
        expect(codeOf(() => store.update(makeTask()))).to.equal('NOT_FOUND');
        expect(store.size()).to.equal(0);
      });

      for (const state of TERMINAL_STATES) {
        it(`never changes a ${state} task (TERMINAL)`, () => {
          const t = makeTask();
          store.insert(t);
          const done = finish(t, state);
          for (const next of TASK_STATES) expect(codeOf(() => store.update({ ...done, state: next, progress: 1 }))).to.equal('TERMINAL');
          expect(store.get(t.taskId)).to.deep.equal(done);
        });
      }

      it('treats a task inserted already terminal as terminal', () => {
        const t = makeTask({ state: 'CANCELLED', finishedAt: clock.now() });
        store.insert(t);
        expect(codeOf(() => store.update({ ...t, state: 'PENDING' }))).to.equal('TERMINAL');
        expect(store.get(t.taskId)).to.deep.equal(t);
      });
    });

    describe('idempotency keys', () => {
      it('finds the current record by its key, and nothing for an unknown key', () => {
        const t = makeTask({ idempotencyKey: 'order-42' });
        store.insert(makeTask({ idempotencyKey: 'other' }));
        store.insert(t);
        expect(store.findByIdempotencyKey('order-42')).to.deep.equal(t);
        const running = { ...t, state: 'IN_PROGRESS' as const };
        store.update(running);
        expect(store.findByIdempotencyKey('order-42')).to.deep.equal(running);
        const done = finish(running);
        expect(store.findByIdempotencyKey('order-42')).to.deep.equal(done);
        expect(store.findByIdempotencyKey('order-43')).to.equal(undefined);
      });
    });

    describe('retention', () => {
      it('drops a terminal task and its idempotency key once retentionMs has passed since it finished', () => {
        const done = makeTask({ idempotencyKey: 'done-key' });
        const pending = makeTask({ idempotencyKey: 'pending-key' });
        const running = makeTask({ state: 'IN_PROGRESS', agentId: 'a1' });
        for (const t of [done, pending, running]) store.insert(t);
        // Age before finishing does not count: retention runs from the terminal transition.
        clock.advance(options.retentionMs * 3);
        finish(done);
        clock.advance(options.retentionMs - 1);
        expect(store.get(done.taskId)?.state).to.equal('COMPLETED');
        clock.advance(2);
        expect(store.get(done.taskId)).to.equal(undefined);
        expect(store.findByIdempotencyKey('done-key')).to.equal(undefined);
        expect(codeOf(() => store.update({ ...done, state: 'PENDING' }))).to.equal('NOT_FOUND');
        expect(ids(store.list({}, { limit: 10 }).tasks)).to.deep.equal([running.taskId, pending.taskId]);
        expect(store.countByState().COMPLETED).to.equal(0);
        expect(store.size()).to.equal(2);
      });

      it('keeps unfinished tasks however old they get', () => {
        const pending = makeTask({ idempotencyKey: 'p' });
        const running = makeTask({ state: 'IN_PROGRESS', agentId: 'a1' });
        store.insert(pending);
        store.insert(running);
        for (let i = 0; i < 5; i++) clock.advance(options.retentionMs * 10);
        expect(store.get(pending.taskId)).to.deep.equal(pending);
        expect(store.get(running.taskId)).to.deep.equal(running);
        expect(store.findByIdempotencyKey('p')).to.deep.equal(pending);
        expect(ids(store.unfinished()).sort()).to.deep.equal([pending.taskId, running.taskId].sort());
        expect(store.size()).to.equal(2);
      });

      it('keeps at most retentionCount terminal tasks, dropping the earliest finished', () => {
        const n = options.retentionCount;
        const pending = insertAll(3);
        const tasks = insertAll(n + 2, (i) => ({ idempotencyKey: `k${i}` }));
        // Finish newest first, so finishing order differs from insertion order.
        const finishedOrder = [...tasks].reverse();
        finishedOrder.slice(0, n).forEach((t) => finish(t, 'FAILED'));
        expect(store.size()).to.equal(n + 5);
        // Reading the earliest finished does not save it.
        expect(store.get(finishedOrder[0]!.taskId)).to.not.equal(undefined);
        finish(finishedOrder[n]!);
        finish(finishedOrder[n + 1]!);
        const gone = finishedOrder.slice(0, 2);
        for (const t of gone) {
          expect(store.get(t.taskId), t.taskId).to.equal(undefined);
          expect(store.findByIdempotencyKey(t.idempotencyKey!)).to.equal(undefined);
        }
        for (const t of finishedOrder.slice(2)) expect(store.get(t.taskId), t.taskId).to.not.equal(undefined);
        for (const t of pending) expect(store.get(t.taskId)).to.deep.equal(t);
        expect(store.size()).to.equal(n + 3);
        const counts = store.countByState();
        expect(counts.FAILED + counts.COMPLETED).to.equal(n);
        expect(counts.PENDING).to.equal(3);
      });
    });

    describe('list', () => {
      it('is empty with no cursor for an empty store', () => {
        expect(store.list({}, { limit: 5 })).to.deep.equal({ tasks: [] });
      });

      it('lists newest first by insertion, whatever createdAt or updates say', () => {
        const [a, b, c] = insertAll(3, (i) => ({ createdAt: 1_700_000_000_000 - i * 1000 }));
        store.update({ ...a!, state: 'IN_PROGRESS', agentId: 'x' });
        finish(b!);
        expect(ids(store.list({}, { limit: 10 }).tasks)).to.deep.equal([c!.taskId, b!.taskId, a!.taskId]);
      });

      it('filters by state, by agent, and by both', () => {
        const tasks = insertAll(12, (i) => ({ agentId: i % 3 === 0 ? undefined : `agent-${i % 3}` }));
        tasks.forEach((t, i) => {
          if (i % 4 === 1) store.update({ ...t, state: 'IN_PROGRESS' });
          if (i % 4 === 2) finish(t, 'CANCELLED');
        });
        const current = tasks.map((t) => store.get(t.taskId)!).reverse();
        const expectIds = (pred: (t: TaskRecord) => boolean): string[] => ids(current.filter(pred));
        expect(ids(store.list({ state: 'IN_PROGRESS' }, { limit: 100 }).tasks)).to.deep.equal(expectIds((t) => t.state === 'IN_PROGRESS'));
        expect(ids(store.list({ agentId: 'agent-1' }, { limit: 100 }).tasks)).to.deep.equal(expectIds((t) => t.agentId === 'agent-1'));
        expect(ids(store.list({ state: 'PENDING', agentId: 'agent-2' }, { limit: 100 }).tasks)).to.deep.equal(
          expectIds((t) => t.state === 'PENDING' && t.agentId === 'agent-2'),
        );
        expect(store.list({ state: 'FAILED' }, { limit: 100 })).to.deep.equal({ tasks: [] });
        expect(store.list({ agentId: 'agent-9' }, { limit: 100 })).to.deep.equal({ tasks: [] });
      });

      it('honours limit and gives no cursor when the last page is exactly full', () => {
        const tasks = insertAll(6);
        const first = store.list({}, { limit: 4 });
        expect(ids(first.tasks)).to.deep.equal(ids(tasks.slice(2).reverse()));
        expect(first.nextCursor).to.be.a('string');
        const second = store.list({}, { limit: 2, cursor: first.nextCursor! });
        expect(ids(second.tasks)).to.deep.equal(ids(tasks.slice(0, 2).reverse()));
        expect(second.nextCursor).to.equal(undefined);
      });

      it('stops a page at maxBytes of JSON, always returns at least one task, and the cursor continues there', () => {
        const tasks = [0, 1, 2, 3, 4].map((i) => makeTask({ taskId: `b${i}`, payload: 'z'.repeat(i === 2 ? 5000 : 300) }));
        for (const t of tasks) store.insert(t);
        const size = (t: TaskRecord): number => Buffer.byteLength(JSON.stringify(t));
        const budget = size(tasks[4]!) + size(tasks[3]!) + 10;
        const seen: string[] = [];
        let cursor: string | undefined;
        const pages: string[][] = [];
        do {
          const page = store.list({}, { limit: 100, maxBytes: budget, ...(cursor ? { cursor } : {}) });
          expect(page.tasks.length).to.be.greaterThan(0);
          pages.push(ids(page.tasks));
          seen.push(...ids(page.tasks));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(seen).to.deep.equal(['b4', 'b3', 'b2', 'b1', 'b0']);
        expect(pages[0]).to.deep.equal(['b4', 'b3']);
        expect(pages[1], 'a task larger than the budget comes alone').to.deep.equal(['b2']);
        expect(pages[2]).to.deep.equal(['b1', 'b0']);
      });

      it('pages through everything exactly once while new tasks arrive between pages', () => {
        const tasks = insertAll(23, (i) => ({ state: i % 2 ? 'PENDING' : 'IN_PROGRESS' }));
        const seen = pageAll({}, 5, () => insertAll(2));
        expect(ids(seen)).to.deep.equal(ids([...tasks].reverse()));
        const pendingNow = ids(store.list({ state: 'PENDING' }, { limit: 1000 }).tasks);
        expect(pendingNow).to.have.length(11 + 2 * 4);
        const pendingSeen = pageAll({ state: 'PENDING' }, 3, () => insertAll(1));
        expect(ids(pendingSeen)).to.deep.equal(pendingNow);
      });

      it('keeps a cursor valid when tasks are evicted between pages, even the one it points at', () => {
        const tasks = insertAll(10);
        const page = store.list({}, { limit: 3 });
        expect(ids(page.tasks)).to.deep.equal(ids(tasks.slice(7).reverse()));
        // Finish the last listed task and one not yet listed, then let both expire.
        finish(tasks[7]!);
        finish(tasks[3]!);
        clock.advance(options.retentionMs + 1);
        const restAfterCursor = store.list({}, { limit: 100, cursor: page.nextCursor! });
        expect(ids(restAfterCursor.tasks)).to.deep.equal(ids([6, 5, 4, 2, 1, 0].map((i) => tasks[i]!)));
        expect(restAfterCursor.nextCursor).to.equal(undefined);
      });
    });

    describe('counts and recovery', () => {
      it('counts retained tasks per state, with every state present', () => {
        expect(store.countByState()).to.deep.equal({ PENDING: 0, IN_PROGRESS: 0, COMPLETED: 0, FAILED: 0, CANCELLED: 0 });
        const tasks = insertAll(7);
        store.update({ ...tasks[0]!, state: 'IN_PROGRESS' });
        store.update({ ...tasks[1]!, state: 'IN_PROGRESS' });
        finish(tasks[2]!, 'COMPLETED');
        finish(tasks[3]!, 'FAILED');
        finish({ ...tasks[4]!, state: 'IN_PROGRESS' }, 'CANCELLED');
        expect(store.countByState()).to.deep.equal({ PENDING: 2, IN_PROGRESS: 2, COMPLETED: 1, FAILED: 1, CANCELLED: 1 });
        expect(store.size()).to.equal(7);
      });

      it('lists every unfinished task, and only those', () => {
        const tasks = insertAll(5);
        const running = { ...tasks[1]!, state: 'IN_PROGRESS' as const, agentId: 'a' };
        store.update(running);
        finish(tasks[2]!);
        finish(tasks[4]!, 'CANCELLED');
        const unfinished = store.unfinished();
        expect(ids(unfinished).sort()).to.deep.equal([tasks[0]!.taskId, tasks[1]!.taskId, tasks[3]!.taskId].sort());
        expect(unfinished.find((t) => t.taskId === running.taskId)).to.deep.equal(running);
      });
    });

    describe('list filters (task.list)', () => {
      it('filters by type, agent, creation time, idempotency key and trace id, every given field at once', () => {
        const tasks = insertAll(6, (i) => ({
          type: i % 2 === 0 ? 'even' : 'odd',
          createdAt: 1000 + i * 10,
          ...(i === 3 ? { idempotencyKey: 'k3', traceId: 'trace-three' } : {}),
        }));
        store.update({ ...tasks[4]!, state: 'IN_PROGRESS', agentId: 'agent-x' });
        expect(ids(store.list({ type: 'even' }, { limit: 10 }).tasks)).to.deep.equal([tasks[4]!, tasks[2]!, tasks[0]!].map((t) => t.taskId));
        expect(ids(store.list({ agentId: 'agent-x' }, { limit: 10 }).tasks)).to.deep.equal([tasks[4]!.taskId]);
        expect(ids(store.list({ createdAfter: 1010, createdBefore: 1030 }, { limit: 10 }).tasks)).to.deep.equal([tasks[2]!.taskId, tasks[1]!.taskId]);
        expect(ids(store.list({ idempotencyKey: 'k3' }, { limit: 10 }).tasks)).to.deep.equal([tasks[3]!.taskId]);
        expect(ids(store.list({ traceId: 'trace-three' }, { limit: 10 }).tasks)).to.deep.equal([tasks[3]!.taskId]);
        expect(store.list({ type: 'even', state: 'PENDING', createdAfter: 1001 }, { limit: 10 }).tasks.map((t) => t.taskId)).to.deep.equal([tasks[2]!.taskId]);
        expect(store.list({ traceId: 'nobody' }, { limit: 10 }).tasks).to.deep.equal([]);
      });

      it('pages a filtered list exactly once', () => {
        const tasks = insertAll(25, (i) => ({ type: i % 3 === 0 ? 'third' : 'other' }));
        const expected = tasks.filter((_, i) => i % 3 === 0).reverse();
        expect(ids(pageAll({ type: 'third' }, 2))).to.deep.equal(ids(expected));
      });
    });

    describe('reopen (task.retry)', () => {
      it('turns a FAILED or CANCELLED task back into PENDING in place: same id, list position, counts and key index', () => {
        const [a, b, c] = insertAll(3, (i) => ({ idempotencyKey: `key-${i}` }));
        const failed = finish(b!, 'FAILED');
        finish(c!, 'CANCELLED');
        const again = { ...failed, state: 'PENDING' as const, finishedAt: undefined };
        store.reopen(again);
        expect(store.get(b!.taskId)).to.deep.equal(again);
        expect(store.findByIdempotencyKey('key-1')!.taskId).to.equal(b!.taskId);
        expect(ids(store.list({}, { limit: 10 }).tasks)).to.deep.equal([c!.taskId, b!.taskId, a!.taskId]);
        expect(store.countByState()).to.include({ PENDING: 2, FAILED: 0, CANCELLED: 1 });
        expect(ids(store.unfinished()).sort()).to.deep.equal([a!.taskId, b!.taskId].sort());
        // It may finish again, and be retained like any finished task.
        store.update({ ...again, state: 'IN_PROGRESS' });
        store.update({ ...again, state: 'COMPLETED' });
        expect(store.get(b!.taskId)!.state).to.equal('COMPLETED');
        expect(store.size()).to.equal(3);
      });

      it('refuses unknown tasks, tasks that are not FAILED or CANCELLED, and a new state other than PENDING', () => {
        const [a, b, c] = insertAll(3);
        finish(b!, 'COMPLETED');
        const failed = finish(c!, 'FAILED');
        expect(codeOf(() => store.reopen(makeTask()))).to.equal('NOT_FOUND');
        expect(codeOf(() => store.reopen(a!))).to.equal('NOT_REOPENABLE');
        expect(codeOf(() => store.reopen({ ...b!, state: 'PENDING' }))).to.equal('NOT_REOPENABLE');
        expect(codeOf(() => store.reopen({ ...failed, state: 'IN_PROGRESS' }))).to.equal('NOT_REOPENABLE');
        expect(store.get(c!.taskId)!.state).to.equal('FAILED');
      });
    });
  });
}
