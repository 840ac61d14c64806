import { expect } from 'chai';
import { DEFAULT_MEMORY_TASK_STORE_OPTIONS, MemoryTaskStore } from '../../../src/pool/memory-task-store.js';
import type { TaskFilter, TaskRecord } from '../../../src/pool/task-store.js';
import { randomInt, seededRandom } from '../../../src/random.js';
import { TASK_STATES, TERMINAL_STATES, type TaskState } from '../../../src/schemas/task.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { makeTask, taskStoreConformance } from './task-store-conformance.js';

const OPTIONS = { retentionMs: 60_000, retentionCount: 5 };
taskStoreConformance('MemoryTaskStore', (clock) => new MemoryTaskStore({ clock }, OPTIONS), OPTIONS);

const ids = (tasks: readonly TaskRecord[]): string[] => tasks.map((t) => t.taskId);

describe('MemoryTaskStore', () => {
  let clock: VirtualClock;
  beforeEach(() => {
    clock = new VirtualClock();
  });

  it('defaults to one hour and 10 000 finished tasks', () => {
    expect(new MemoryTaskStore({ clock }).options).to.deep.equal({ retentionMs: 3_600_000, retentionCount: 10_000 });
    expect(DEFAULT_MEMORY_TASK_STORE_OPTIONS).to.deep.equal({ retentionMs: 3_600_000, retentionCount: 10_000 });
    expect(new MemoryTaskStore({ clock }, { retentionCount: 3 }).options).to.deep.equal({ retentionMs: 3_600_000, retentionCount: 3 });
  });

  it('refuses retention settings that are not positive integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryTaskStore({ clock }, { retentionMs: bad }), `retentionMs ${bad}`).to.throw(RangeError, /retentionMs/);
      expect(() => new MemoryTaskStore({ clock }, { retentionCount: bad }), `retentionCount ${bad}`).to.throw(RangeError, /retentionCount/);
    }
  });

  it('expires on the virtual clock alone, within one synchronous turn, even from epoch 0', () => {
    for (const start of [0, 1_700_000_000_000]) {
      const c = new VirtualClock(start);
      const store = new MemoryTaskStore({ clock: c }, { retentionMs: 10 });
      const t = makeTask({ state: 'COMPLETED' });
      store.insert(t);
      expect(store.get(t.taskId), `start ${start}`).to.deep.equal(t);
      c.advance(11);
      expect(store.get(t.taskId), `start ${start}`).to.equal(undefined);
      expect(store.size()).to.equal(0);
    }
  });

  it('accepts an evicted task id again, with a fresh idempotency key mapping', () => {
    const store = new MemoryTaskStore({ clock }, { retentionMs: 100 });
    const first = makeTask({ state: 'FAILED', idempotencyKey: 'k' });
    store.insert(first);
    clock.advance(101);
    const again = { ...makeTask({ idempotencyKey: 'k' }), taskId: first.taskId };
    store.insert(again);
    expect(store.get(first.taskId)).to.deep.equal(again);
    expect(store.findByIdempotencyKey('k')).to.deep.equal(again);
    expect(ids(store.list({}, { limit: 10 }).tasks)).to.deep.equal([first.taskId]);
  });

  it('keeps a key pointing at the newest task that carries it when an older one is evicted', () => {
    const store = new MemoryTaskStore({ clock }, { retentionCount: 1 });
    const old = makeTask({ idempotencyKey: 'k' });
    const young = makeTask({ idempotencyKey: 'k' });
    store.insert(old);
    store.insert(young);
    store.update({ ...old, state: 'COMPLETED' });
    store.insert(makeTask({ state: 'CANCELLED' }));
    expect(store.get(old.taskId)).to.equal(undefined);
    expect(store.findByIdempotencyKey('k')).to.deep.equal(young);
  });

  it('moves the idempotency key when an update changes it', () => {
    const store = new MemoryTaskStore({ clock });
    const t = makeTask({ idempotencyKey: 'a' });
    store.insert(t);
    store.update({ ...t, idempotencyKey: 'b' });
    expect(store.findByIdempotencyKey('a')).to.equal(undefined);
    expect(store.findByIdempotencyKey('b')?.taskId).to.equal(t.taskId);
  });

  it('answers a cursor it did not make with an empty page, and refuses a limit below 1', () => {
    const store = new MemoryTaskStore({ clock });
    store.insert(makeTask());
    for (const cursor of ['', 'garbage!', Buffer.from('-3').toString('base64url'), Buffer.from('1e3').toString('base64url')]) {
      expect(store.list({}, { limit: 5, cursor }), cursor).to.deep.equal({ tasks: [] });
    }
    expect(() => store.list({}, { limit: 0 })).to.throw(RangeError);
  });

  it('returns unfinished tasks oldest first, also after updates', () => {
    const store = new MemoryTaskStore({ clock });
    const tasks = [makeTask(), makeTask(), makeTask()];
    for (const t of tasks) store.insert(t);
    store.update({ ...tasks[0]!, state: 'IN_PROGRESS' });
    expect(ids(store.unfinished())).to.deep.equal(ids(tasks));
  });

  it('keeps its bookkeeping bounded while many tasks pass through', () => {
    const store = new MemoryTaskStore({ clock }, { retentionMs: 1_000, retentionCount: 50 });
    for (let i = 0; i < 20_000; i++) {
      store.insert(makeTask({ state: i % 2 ? 'COMPLETED' : 'CANCELLED', idempotencyKey: `k${i}` }));
      if (i % 7 === 0) clock.advance(100);
    }
    // White-box on purpose: a leak here would not show through the public API until memory ran out.
    const inside = store as unknown as { orderIds: string[]; finishedOrder: unknown[]; byIdempotencyKey: Map<string, string> };
    expect(inside.orderIds.length).to.be.at.most(200);
    expect(inside.finishedOrder.length).to.be.at.most(200);
    expect(inside.byIdempotencyKey.size).to.equal(50);
    expect(store.size()).to.equal(50);
  });

  it('agrees with a simple model over thousands of random operations', () => {
    const retentionMs = 1_000;
    const retentionCount = 20;
    const random = seededRandom(20240611);
    const store = new MemoryTaskStore({ clock }, { retentionMs, retentionCount });
    const model = new ModelStore(retentionMs, retentionCount);
    const agents = ['a0', 'a1', 'a2'];
    const everId: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[randomInt(random, xs.length)]!;

    for (let step = 0; step < 4_000; step++) {
      const now = clock.now();
      const r = random.next();
      if (r < 0.3) {
        const state: TaskState = random.next() < 0.15 ? pick(['COMPLETED', 'FAILED', 'CANCELLED']) : 'PENDING';
        const t = makeTask({
          state,
          agentId: random.next() < 0.5 ? pick(agents) : undefined,
          idempotencyKey: random.next() < 0.5 ? `key-${everId.length}` : undefined,
        });
        everId.push(t.taskId);
        store.insert(t);
        model.insert(t, now);
      } else if (r < 0.65) {
        const live = model.unfinished(now);
        if (live.length === 0) continue;
        const t = { ...pick(live), state: pick(TASK_STATES), agentId: pick(agents) };
        store.update(t);
        model.update(t, now);
      } else if (r < 0.75) {
        clock.advance(randomInt(random, retentionMs / 2));
      } else if (r < 0.85) {
        const filter: TaskFilter = {};
        if (random.next() < 0.4) filter.state = pick(TASK_STATES);
        if (random.next() < 0.4) filter.agentId = pick(agents);
        const limit = 1 + randomInt(random, 8);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = store.list(filter, cursor === undefined ? { limit } : { limit, cursor });
          seen.push(...ids(page.tasks));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(seen, `list at step ${step}`).to.deep.equal(ids(model.list(filter, now)));
      } else {
        const id = pick(everId.length ? everId : ['none']);
        expect(store.get(id), `get ${id} at step ${step}`).to.deep.equal(model.get(id, now));
        const key = `key-${randomInt(random, everId.length + 1)}`;
        expect(store.findByIdempotencyKey(key)?.taskId, `key ${key} at step ${step}`).to.equal(model.byKey(key, clock.now())?.taskId);
      }
      expect(store.size(), `size at step ${step}`).to.equal(model.size(clock.now()));
      expect(store.countByState(), `counts at step ${step}`).to.deep.equal(model.counts(clock.now()));
    }
    expect(everId.length).to.be.greaterThan(1000);
  });
});

/** The obvious, slow store the model test compares against: arrays and full scans. */
class ModelStore {
  private rows: { task: TaskRecord; finishedAt?: number; finishSeq?: number }[] = [];
  private finishes = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly retentionCount: number,
  ) {}

  insert(task: TaskRecord, now: number): void {
    this.prune(now);
    this.rows.push({ task });
    this.settle(this.rows.length - 1, now);
  }

  update(task: TaskRecord, now: number): void {
    this.prune(now);
    const i = this.rows.findIndex((r) => r.task.taskId === task.taskId);
    this.rows[i] = { task };
    this.settle(i, now);
  }

  get(taskId: string, now: number): TaskRecord | undefined {
    this.prune(now);
    return this.rows.find((r) => r.task.taskId === taskId)?.task;
  }

  byKey(key: string, now: number): TaskRecord | undefined {
    this.prune(now);
    return this.rows.findLast((r) => r.task.idempotencyKey === key)?.task;
  }

  list(filter: TaskFilter, now: number): TaskRecord[] {
    this.prune(now);
    return this.rows
      .map((r) => r.task)
      .filter((t) => (filter.state === undefined || t.state === filter.state) && (filter.agentId === undefined || t.agentId === filter.agentId))
      .reverse();
  }

  unfinished(now: number): TaskRecord[] {
    this.prune(now);
    return this.rows.filter((r) => r.finishedAt === undefined).map((r) => r.task);
  }

  size(now: number): number {
    this.prune(now);
    return this.rows.length;
  }

  counts(now: number): Record<TaskState, number> {
    this.prune(now);
    const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
    for (const r of this.rows) counts[r.task.state]++;
    return counts;
  }

  private settle(i: number, now: number): void {
    const row = this.rows[i]!;
    if (!TERMINAL_STATES.has(row.task.state)) return;
    row.finishedAt = now;
    row.finishSeq = ++this.finishes;
    const finished = this.rows.filter((r) => r.finishSeq !== undefined).sort((a, b) => a.finishSeq! - b.finishSeq!);
    const drop = new Set(finished.slice(0, Math.max(0, finished.length - this.retentionCount)));
    this.rows = this.rows.filter((r) => !drop.has(r));
  }

  private prune(now: number): void {
    this.rows = this.rows.filter((r) => r.finishedAt === undefined || now - r.finishedAt <= this.retentionMs);
  }
}
