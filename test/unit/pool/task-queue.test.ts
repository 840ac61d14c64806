import { expect } from 'chai';
import { AppError } from '../../../src/errors.js';
import { QueueFullError } from '../../../src/pool/queue-full-error.js';
import { TaskQueue, type QueueEntry } from '../../../src/pool/task-queue.js';
import { randomInt, seededRandom, type Random } from '../../../src/random.js';

const all = (): boolean => true;
const idsOf = (entries: Iterable<QueueEntry>): string[] => [...entries].map((e) => e.taskId);

function entry(taskId: string, priority = 0, requiredCapabilities: string[] = [], enqueuedAt = 1_000): QueueEntry {
  return { taskId, priority, requiredCapabilities, enqueuedAt };
}

describe('TaskQueue', () => {
  it('defaults to 100 000 entries and refuses a size that is not a positive integer', () => {
    expect(new TaskQueue().options.maxSize).to.equal(100_000);
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => new TaskQueue({ maxSize: bad }), String(bad)).to.throw(RangeError);
  });

  describe('order', () => {
    it('yields higher priority first and FIFO within a priority', () => {
      const q = new TaskQueue();
      q.enqueue(entry('low-1', -5));
      q.enqueue(entry('mid-1', 0));
      q.enqueue(entry('high-1', 10));
      q.enqueue(entry('mid-2', 0));
      q.enqueue(entry('high-2', 10));
      q.enqueue(entry('low-2', -5));
      expect(idsOf(q.inOrder(all))).to.deep.equal(['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2']);
    });

    it('merges groups into one global order (FIFO across groups within a priority)', () => {
      const q = new TaskQueue();
      q.enqueue(entry('gpu-1', 1, ['gpu']));
      q.enqueue(entry('any-1', 1));
      q.enqueue(entry('gpu-2', 2, ['gpu']));
      q.enqueue(entry('web-1', 1, ['web']));
      q.enqueue(entry('any-2', 2));
      q.enqueue(entry('gpu-3', 1, ['gpu']));
      expect(idsOf(q.inOrder(all))).to.deep.equal(['gpu-2', 'any-2', 'gpu-1', 'any-1', 'web-1', 'gpu-3']);
    });

    it('does not consume the queue: a second walk sees the same entries', () => {
      const q = new TaskQueue();
      for (let i = 0; i < 5; i++) q.enqueue(entry(`t${i}`, i % 2));
      expect(idsOf(q.inOrder(all))).to.deep.equal(idsOf(q.inOrder(all)));
      expect(q.size).to.equal(5);
    });

    it('hands out the entry as enqueued', () => {
      const q = new TaskQueue();
      const e = entry('t', 3, ['b', 'a'], 42);
      q.enqueue(e);
      expect([...q.inOrder(all)]).to.deep.equal([e]);
    });
  });

  describe('capability groups', () => {
    it('skips groups no free agent can serve, so they block nothing', () => {
      const q = new TaskQueue();
      q.enqueue(entry('gpu-urgent', 100, ['gpu']));
      q.enqueue(entry('plain', 0));
      q.enqueue(entry('web', 5, ['web']));
      const servable = (caps: readonly string[]): boolean => !caps.includes('gpu');
      expect(idsOf(q.inOrder(servable))).to.deep.equal(['web', 'plain']);
    });

    it('asks canServe at most once per group per walk, with sorted, de-duplicated capabilities', () => {
      const q = new TaskQueue();
      q.enqueue(entry('a', 0, ['b', 'a', 'b']));
      q.enqueue(entry('b', 1, ['a', 'b']));
      q.enqueue(entry('c', 2, ['a,b']));
      q.enqueue(entry('d', 3));
      q.enqueue(entry('e', 1, ['a', 'b']));
      const asked: string[] = [];
      const yielded = idsOf(
        q.inOrder((caps) => {
          asked.push(JSON.stringify(caps));
          return caps.length !== 1;
        }),
      );
      expect(yielded).to.deep.equal(['d', 'b', 'e', 'a']);
      expect([...asked].sort()).to.deep.equal(['["a","b"]', '["a,b"]', '[]']);
      // A fresh walk asks again.
      asked.length = 0;
      idsOf(q.inOrder((caps) => (asked.push(JSON.stringify(caps)), true)));
      expect(asked).to.have.length(3);
    });

    it('never asks about a group it has emptied', () => {
      const q = new TaskQueue();
      q.enqueue(entry('x', 0, ['x']));
      q.remove('x');
      q.enqueue(entry('y', 0));
      const asked: (readonly string[])[] = [];
      expect(idsOf(q.inOrder((caps) => (asked.push(caps), true)))).to.deep.equal(['y']);
      expect(asked).to.deep.equal([[]]);
    });
  });

  describe('changes during a walk', () => {
    it('lets the consumer remove each entry it is given', () => {
      const q = new TaskQueue();
      for (let i = 0; i < 40; i++) q.enqueue(entry(`t${i}`, i % 3, i % 2 ? ['gpu'] : []));
      const expected = idsOf(q.inOrder(all));
      const seen: string[] = [];
      for (const e of q.inOrder(all)) {
        seen.push(e.taskId);
        expect(q.remove(e.taskId)).to.equal(true);
      }
      expect(seen).to.deep.equal(expected);
      expect(q.size).to.equal(0);
      expect([...q.inOrder(all)]).to.deep.equal([]);
    });

    it('does not yield an entry removed before its turn, in its own group or another', () => {
      const q = new TaskQueue();
      q.enqueue(entry('a1', 1));
      q.enqueue(entry('b1', 1, ['b']));
      q.enqueue(entry('a2', 1));
      q.enqueue(entry('b2', 0, ['b']));
      q.enqueue(entry('a3', 0));
      const seen: string[] = [];
      for (const e of q.inOrder(all)) {
        seen.push(e.taskId);
        if (e.taskId === 'a1') {
          q.remove('b1');
          q.remove('a2');
        }
      }
      expect(seen).to.deep.equal(['a1', 'b2', 'a3']);
      expect(q.size).to.equal(3);
    });

    it('does not yield entries enqueued during the walk, not even a removed id queued again', () => {
      const q = new TaskQueue();
      q.enqueue(entry('a', 0));
      q.enqueue(entry('b', 0));
      const seen: string[] = [];
      for (const e of q.inOrder(all)) {
        seen.push(e.taskId);
        if (e.taskId === 'a') {
          q.remove('a');
          q.enqueue(entry('a', 99));
          q.enqueue(entry('new-high', 100));
          q.enqueue(entry('new-low', -1));
          q.enqueue(entry('new-gpu', 100, ['gpu']));
        }
      }
      expect(seen).to.deep.equal(['a', 'b']);
      expect(idsOf(q.inOrder(all))).to.deep.equal(['new-high', 'new-gpu', 'a', 'b', 'new-low']);
    });

    it('keeps its place while removals compact the level it walks', () => {
      const q = new TaskQueue();
      for (let i = 0; i < 500; i++) q.enqueue(entry(`t${i}`));
      const seen: string[] = [];
      for (const e of q.inOrder(all)) {
        seen.push(e.taskId);
        const n = Number(e.taskId.slice(1));
        // Remove the next two (not yet yielded) entries, forcing compactions mid-walk.
        q.remove(`t${n + 1}`);
        q.remove(`t${n + 2}`);
      }
      expect(seen).to.deep.equal(Array.from({ length: 167 }, (_, i) => `t${i * 3}`));
    });
  });

  describe('bookkeeping', () => {
    it('throws QueueFullError (a QUEUE_FULL AppError) at maxSize and recovers after a removal', () => {
      const q = new TaskQueue({ maxSize: 2 });
      q.enqueue(entry('a'));
      q.enqueue(entry('b'));
      let thrown: unknown;
      try {
        q.enqueue(entry('c'));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(QueueFullError).and.instanceOf(AppError);
      expect((thrown as QueueFullError).maxSize).to.equal(2);
      expect((thrown as QueueFullError).code).to.equal(-32023);
      expect(q.size).to.equal(2);
      expect(q.has('c')).to.equal(false);
      q.remove('a');
      q.enqueue(entry('c'));
      expect(idsOf(q.inOrder(all))).to.deep.equal(['b', 'c']);
    });

    it('refuses a duplicate taskId and a priority that is not a finite number', () => {
      const q = new TaskQueue();
      q.enqueue(entry('a'));
      expect(() => q.enqueue(entry('a', 5))).to.throw(Error, /already queued/);
      expect(() => q.enqueue(entry('b', Number.NaN))).to.throw(RangeError);
      expect(q.size).to.equal(1);
    });

    it('tracks has, size and remove', () => {
      const q = new TaskQueue();
      q.enqueue(entry('a'));
      expect(q.has('a')).to.equal(true);
      expect(q.has('b')).to.equal(false);
      expect(q.remove('b')).to.equal(false);
      expect(q.remove('a')).to.equal(true);
      expect(q.remove('a')).to.equal(false);
      expect(q.has('a')).to.equal(false);
      expect(q.size).to.equal(0);
    });

    it('counts entries per priority across groups, without empty priorities', () => {
      const q = new TaskQueue();
      expect(q.byPriority()).to.deep.equal({});
      q.enqueue(entry('a', 5));
      q.enqueue(entry('b', 5, ['gpu']));
      q.enqueue(entry('c', 0));
      q.enqueue(entry('d', -3, ['gpu']));
      expect(q.byPriority()).to.deep.equal({ '5': 2, '0': 1, '-3': 1 });
      q.remove('c');
      expect(q.byPriority()).to.deep.equal({ '5': 2, '-3': 1 });
    });

    it('reports when the longest-waiting entry was queued', () => {
      const q = new TaskQueue();
      expect(q.oldestEnqueuedAt()).to.equal(undefined);
      q.enqueue(entry('a', 0, [], 100));
      q.enqueue(entry('b', 9, ['gpu'], 200));
      q.enqueue(entry('c', 0, [], 300));
      expect(q.oldestEnqueuedAt()).to.equal(100);
      q.remove('a');
      expect(q.oldestEnqueuedAt()).to.equal(200);
      q.remove('b');
      expect(q.oldestEnqueuedAt()).to.equal(300);
      q.remove('c');
      expect(q.oldestEnqueuedAt()).to.equal(undefined);
    });
  });

  it('agrees with a plain sort over thousands of random operations', () => {
    const random = seededRandom(7_031);
    const q = new TaskQueue({ maxSize: 400 });
    /** The model: every queued entry with its enqueue sequence. */
    const model = new Map<string, { entry: QueueEntry; seq: number }>();
    let seq = 0;
    let now = 0;
    let next = 0;
    const CAPS = ['gpu', 'web', 'sql', 'big'];
    const randomCaps = (r: Random): string[] => Array.from({ length: randomInt(r, 3) }, () => CAPS[randomInt(r, CAPS.length)]!);
    const randomPriority = (r: Random): number => (r.next() < 0.9 ? randomInt(r, 5) - 2 : randomInt(r, 2_000_001) - 1_000_000);
    const enqueue = (): void => {
      const e = entry(`t${next++}`, randomPriority(random), randomCaps(random), (now += randomInt(random, 3)));
      if (model.size >= 400) {
        expect(() => q.enqueue(e)).to.throw(QueueFullError);
        return;
      }
      q.enqueue(e);
      model.set(e.taskId, { entry: e, seq: seq++ });
    };
    const removeSome = (): void => {
      const id = `t${randomInt(random, next + 1)}`;
      expect(q.remove(id), id).to.equal(model.delete(id));
    };
    let walks = 0;
    let yields = 0;

    for (let step = 0; step < 6_000; step++) {
      const r = random.next();
      if (r < 0.5) enqueue();
      else if (r < 0.8) removeSome();
      else {
        walks++;
        const agentCaps = new Set(CAPS.filter(() => random.next() < 0.6));
        const canServe = (caps: readonly string[]): boolean => caps.every((c) => agentCaps.has(c));
        const expected = [...model.values()]
          .filter((m) => canServe(m.entry.requiredCapabilities))
          .sort((a, b) => b.entry.priority - a.entry.priority || a.seq - b.seq)
          .map((m) => m.entry.taskId);
        const asked = new Map<string, number>();
        let pos = 0;
        let stopped = false;
        for (const e of q.inOrder((caps) => {
          const key = JSON.stringify(caps);
          asked.set(key, (asked.get(key) ?? 0) + 1);
          return canServe(caps);
        })) {
          // The next expected entry is the first one of the snapshot still queued.
          while (pos < expected.length && !model.has(expected[pos]!)) pos++;
          expect(e.taskId, `walk ${walks}`).to.equal(expected[pos++]);
          yields++;
          const action = random.next();
          if (action < 0.4) expect(q.remove(e.taskId)).to.equal(model.delete(e.taskId));
          else if (action < 0.55) removeSome();
          else if (action < 0.65) enqueue();
          else if (action < 0.7) {
            stopped = true;
            break;
          }
        }
        if (!stopped) {
          // A finished walk must have missed nothing that was still queued.
          while (pos < expected.length && !model.has(expected[pos]!)) pos++;
          expect(pos, `walk ${walks} ended early`).to.equal(expected.length);
        }
        for (const n of asked.values()) expect(n).to.equal(1);
      }
      expect(q.size).to.equal(model.size);
      const counts: Record<string, number> = {};
      let oldest: number | undefined;
      for (const { entry: e } of model.values()) {
        counts[String(e.priority)] = (counts[String(e.priority)] ?? 0) + 1;
        if (oldest === undefined || e.enqueuedAt < oldest) oldest = e.enqueuedAt;
      }
      expect(q.byPriority()).to.deep.equal(counts);
      expect(q.oldestEnqueuedAt()).to.equal(oldest);
    }
    expect(walks).to.be.greaterThan(500);
    expect(yields).to.be.greaterThan(5_000);
  });
});
