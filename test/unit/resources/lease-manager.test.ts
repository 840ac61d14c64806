import { expect } from 'chai';
import type { Grant } from '../../../src/resources/types.js';
import { errorOf, leaseHarness, track } from '../../support/lease-harness.js';

const sync = (g: Grant | Promise<Grant>): Grant => {
  if (g instanceof Promise) throw new Error('expected an immediate grant');
  return g;
};

describe('LeaseManager', () => {
  describe('exclusive and shared leases', () => {
    it('grants an exclusive lease at once with leaseId, fencingToken and expiresAt = now + ttl', () => {
      const h = leaseHarness();
      const g = sync(h.acquire('a', 'db', 'exclusive', { ttlMs: 5000 }));
      expect(g).to.deep.equal({ leaseId: 'L-1', resource: 'db', mode: 'exclusive', fencingToken: 1, expiresAt: h.clock.now() + 5000 });
      expect(h.seen.acquired).to.deep.equal(['granted']);
      expect(h.leases.conflicts(10).stats.total).to.equal(0);
    });

    it('lets many shared holders in together, and refuses exclusive while any is held (waitMs 0 → RESOURCE_BUSY)', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'shared'));
      sync(h.acquire('b', 'r', 'shared'));
      expect(errorOf(() => h.acquire('c', 'r', 'exclusive'))).to.equal('RESOURCE_BUSY');
      expect(h.leases.list('r').resources[0]!.leases.map((l) => l.agentId)).to.deep.equal(['a', 'b']);
      const [event] = h.leases.conflicts(10).events;
      expect(event).to.deep.include({ resource: 'r', kind: 'shared_held', resolution: 'escalated', waitedMs: 0, agentId: 'c', holderCount: 2, waiters: 0 });
      expect(event!.holders.map((x) => x.agentId)).to.deep.equal(['a', 'b']);
    });

    it('refuses shared and exclusive while an exclusive lease is held (exclusive_held)', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'exclusive'));
      expect(errorOf(() => h.acquire('b', 'r', 'shared'))).to.equal('RESOURCE_BUSY');
      expect(errorOf(() => h.acquire('c', 'r', 'exclusive'))).to.equal('RESOURCE_BUSY');
      expect(h.leases.conflicts(10).events.map((e) => e.kind)).to.deep.equal(['exclusive_held', 'exclusive_held']);
      expect(h.seen.acquired).to.deep.equal(['granted', 'rejected', 'rejected']);
    });

    it('carries the resource, holder count and conflict kind in RESOURCE_BUSY data', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'exclusive'));
      try {
        h.acquire('b', 'r', 'exclusive');
        expect.fail('acquired a held resource');
      } catch (err: any) {
        expect(err.data).to.deep.include({ resource: 'r', kind: 'exclusive_held', holders: 1, waiters: 0 });
      }
    });

    it('keeps resources independent', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r1', 'exclusive'));
      sync(h.acquire('b', 'r2', 'exclusive'));
      expect(h.leases.stats()).to.deep.equal({ byMode: { exclusive: 2, shared: 0 }, waiters: 0, resources: 2 });
    });
  });

  describe('waiting', () => {
    it('queues a contended acquire and grants it when the holder releases, with a higher fencing token', async () => {
      const h = leaseHarness();
      const first = sync(h.acquire('a', 'r', 'exclusive'));
      const second = track(h.acquire('b', 'r', 'exclusive', { waitMs: 5000 }));
      await h.settle();
      expect(second.done).to.equal(false);
      h.clock.advance(1200);
      h.leases.release('a', first.leaseId);
      await h.settle();
      expect(second.value!.fencingToken).to.be.greaterThan(first.fencingToken);
      expect(second.value!.expiresAt).to.equal(h.clock.now() + 10_000);
      expect(h.seen.acquired).to.deep.equal(['granted', 'granted_after_wait']);
      const [event] = h.leases.conflicts(10).events;
      expect(event).to.deep.include({ resolution: 'resolved', waitedMs: 1200, leaseId: second.value!.leaseId });
    });

    it('serves waiters by priority, then arrival', async () => {
      const h = leaseHarness();
      const hold = sync(h.acquire('holder', 'r', 'exclusive'));
      const order: string[] = [];
      const want = (agent: string, priority: number) =>
        Promise.resolve(h.acquire(agent, 'r', 'exclusive', { priority, waitMs: 60_000 })).then((g) => {
          order.push(agent);
          h.clock.advance(10);
          h.leases.release(agent, g.leaseId);
        });
      const all = [want('low', -1), want('mid1', 0), want('high', 5), want('mid2', 0), want('top', 9)];
      expect(h.leases.list('r').resources[0]!.waiters.map((w) => w.agentId)).to.deep.equal(['top', 'high', 'mid1', 'mid2', 'low']);
      h.leases.release('holder', hold.leaseId);
      await Promise.all(all);
      expect(order).to.deep.equal(['top', 'high', 'mid1', 'mid2', 'low']);
    });

    it('grants the shared waiters at the head together when an exclusive holder leaves', async () => {
      const h = leaseHarness();
      const x = sync(h.acquire('x', 'r', 'exclusive'));
      const s1 = track(h.acquire('s1', 'r', 'shared', { waitMs: 1000 }));
      const s2 = track(h.acquire('s2', 'r', 'shared', { waitMs: 1000 }));
      const e = track(h.acquire('e', 'r', 'exclusive', { waitMs: 1000 }));
      const s3 = track(h.acquire('s3', 'r', 'shared', { waitMs: 1000 }));
      h.leases.release('x', x.leaseId);
      await h.settle();
      expect([s1.done, s2.done, e.done, s3.done]).to.deep.equal([true, true, false, false]);
      expect(h.leases.list('r').resources[0]!.waiters.map((w) => w.agentId)).to.deep.equal(['e', 's3']);
    });

    it('does not let later shared requests starve an exclusive waiter', async () => {
      const h = leaseHarness();
      const s1 = sync(h.acquire('s1', 'r', 'shared'));
      const e = track(h.acquire('e', 'r', 'exclusive', { waitMs: 5000 }));
      // Compatible with the shared holder, but someone is waiting: it queues (queued_behind).
      const late = track(h.acquire('late', 'r', 'shared', { waitMs: 5000 }));
      expect(h.leases.conflicts(10).events[0]).to.deep.include({ agentId: 'late', kind: 'queued_behind', waiters: 1 });
      expect(errorOf(() => h.acquire('try', 'r', 'shared'))).to.equal('RESOURCE_BUSY');
      h.leases.release('s1', s1.leaseId);
      await h.settle();
      expect(e.done && !late.done).to.equal(true);
      h.leases.release('e', e.value!.leaseId);
      await h.settle();
      expect(late.value!.fencingToken).to.be.greaterThan(e.value!.fencingToken);
    });

    it('lets a strictly higher-priority request that fits the holders go first', () => {
      const h = leaseHarness();
      sync(h.acquire('s1', 'r', 'shared'));
      track(h.acquire('e', 'r', 'exclusive', { waitMs: 5000 }));
      expect(sync(h.acquire('vip', 'r', 'shared', { priority: 1 })).mode).to.equal('shared');
      expect(errorOf(() => h.acquire('peer', 'r', 'shared', { priority: 0 }))).to.equal('RESOURCE_BUSY');
    });

    it('times a waiter out after waitMs with LEASE_WAIT_TIMEOUT; the conflict is escalated', async () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'exclusive', { ttlMs: 60_000 }));
      const b = track(h.acquire('b', 'r', 'exclusive', { waitMs: 2000 }));
      h.clock.advance(1999);
      await h.settle();
      expect(b.done).to.equal(false);
      h.clock.advance(1);
      await h.settle();
      expect(b.error.errorName).to.equal('LEASE_WAIT_TIMEOUT');
      expect(b.error.data).to.deep.include({ resource: 'r', waitedMs: 2000, holders: 1, waiters: 0 });
      expect(h.leases.list('r').resources[0]!.waiters).to.deep.equal([]);
      expect(h.leases.conflicts(10).stats).to.deep.include({ total: 1, escalated: 1, resolved: 0, pending: 0, resolutionRate: 0 });
      expect(h.seen.acquired).to.deep.equal(['granted', 'timeout']);
      expect(h.seen.conflicts.map((c) => c.resolution)).to.deep.equal(['escalated']);
    });

    it('grants the shared waiters that were only queued behind an exclusive waiter that timed out', async () => {
      const h = leaseHarness();
      sync(h.acquire('s', 'r', 'shared', { ttlMs: 60_000 }));
      const e = track(h.acquire('e', 'r', 'exclusive', { waitMs: 1000 }));
      const s2 = track(h.acquire('s2', 'r', 'shared', { waitMs: 5000 }));
      h.clock.advance(1000);
      await h.settle();
      expect(e.error.errorName).to.equal('LEASE_WAIT_TIMEOUT');
      expect(s2.value!.mode).to.equal('shared');
    });

    it('caps waitMs and ttl at the configured maxima', async () => {
      const h = leaseHarness({ maxWaitMs: 3000, maxTtlMs: 4000 });
      const g = sync(h.acquire('a', 'r', 'exclusive', { ttlMs: 3_600_000 }));
      expect(g.expiresAt).to.equal(h.clock.now() + 4000);
      const b = track(h.acquire('b', 'r', 'exclusive', { waitMs: 60_000, ttlMs: 50 }));
      h.clock.advance(3000);
      await h.settle();
      expect(b.error.errorName).to.equal('LEASE_WAIT_TIMEOUT');
    });

    it('refuses a waiter beyond maxWaitersPerResource with LEASE_QUEUE_FULL (escalated)', () => {
      const h = leaseHarness({ maxWaitersPerResource: 2 });
      sync(h.acquire('a', 'r', 'exclusive'));
      track(h.acquire('b', 'r', 'exclusive', { waitMs: 1000 }));
      track(h.acquire('c', 'r', 'exclusive', { waitMs: 1000 }));
      expect(errorOf(() => h.acquire('d', 'r', 'exclusive', { waitMs: 1000 }))).to.equal('LEASE_QUEUE_FULL');
      expect(h.leases.conflicts(10).stats).to.deep.include({ total: 3, pending: 2, escalated: 1 });
    });

    it('refuses an agent past maxLeasesPerAgent (held plus waiting) with LEASE_LIMIT', () => {
      const h = leaseHarness({ maxLeasesPerAgent: 2 });
      sync(h.acquire('x', 'held', 'exclusive'));
      sync(h.acquire('a', 'r1', 'exclusive'));
      track(h.acquire('a', 'held', 'exclusive', { waitMs: 1000 }));
      expect(errorOf(() => h.acquire('a', 'r3', 'shared'))).to.equal('LEASE_LIMIT');
      expect(h.seen.acquired.at(-1)).to.equal('rejected');
    });
  });

  describe('expiry and renewal', () => {
    it('expires a lease after its ttl and grants the next waiter', async () => {
      const h = leaseHarness();
      const a = sync(h.acquire('a', 'r', 'exclusive', { ttlMs: 1000 }));
      const b = track(h.acquire('b', 'r', 'exclusive', { waitMs: 5000 }));
      h.clock.advance(999);
      await h.settle();
      expect(b.done).to.equal(false);
      h.clock.advance(1);
      await h.settle();
      expect(b.value!.fencingToken).to.equal(a.fencingToken + 1);
      expect(h.seen.ended).to.deep.equal(['expired']);
      expect(errorOf(() => h.leases.renew('a', a.leaseId))).to.equal('LEASE_NOT_FOUND');
      expect(errorOf(() => h.leases.release('a', a.leaseId))).to.equal('LEASE_NOT_FOUND');
    });

    it('renew keeps the fencing token and pushes expiresAt out by the ttl (or a new one)', () => {
      const h = leaseHarness();
      const a = sync(h.acquire('a', 'r', 'exclusive', { ttlMs: 1000 }));
      h.clock.advance(800);
      const r = h.leases.renew('a', a.leaseId);
      expect(r).to.deep.equal({ ...a, expiresAt: h.clock.now() + 1000 });
      h.clock.advance(800);
      expect(h.leases.renew('a', a.leaseId, 5000).expiresAt).to.equal(h.clock.now() + 5000);
      h.clock.advance(4999);
      expect(h.leases.list('r').total).to.equal(1);
      h.clock.advance(1);
      expect(h.leases.list().total).to.equal(0);
    });

    it('only the holding agent may renew or release; unknown ids are LEASE_NOT_FOUND', () => {
      const h = leaseHarness();
      const a = sync(h.acquire('a', 'r', 'exclusive'));
      expect(errorOf(() => h.leases.renew('b', a.leaseId))).to.equal('LEASE_NOT_OWNED');
      expect(errorOf(() => h.leases.release('b', a.leaseId))).to.equal('LEASE_NOT_OWNED');
      expect(errorOf(() => h.leases.release('a', 'nope'))).to.equal('LEASE_NOT_FOUND');
      expect(h.leases.release('a', a.leaseId)).to.deep.equal({ leaseId: a.leaseId, resource: 'r', heldMs: 0 });
      expect(errorOf(() => h.leases.release('a', a.leaseId))).to.equal('LEASE_NOT_FOUND');
    });

    it('leaves no timer behind once everything is released', async () => {
      const h = leaseHarness();
      const a = sync(h.acquire('a', 'r', 'exclusive'));
      const b = track(h.acquire('b', 'r', 'shared', { waitMs: 1000 }));
      h.leases.release('a', a.leaseId);
      await h.settle();
      h.leases.release('b', b.value!.leaseId);
      expect(h.clock.pendingTimers()).to.equal(0);
      expect(h.leases.list().total).to.equal(0);
    });
  });

  describe('owners going away', () => {
    it('ends a session’s leases when it closes and grants the waiter', async () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'exclusive'));
      sync(h.acquire('a', 'r2', 'shared'));
      const b = track(h.acquire('b', 'r', 'exclusive', { waitMs: 5000 }));
      expect(h.leases.releaseSession('s-a', 'disconnected')).to.equal(2);
      await h.settle();
      expect(b.value!.resource).to.equal('r');
      expect(h.seen.ended).to.deep.equal(['disconnected', 'disconnected']);
    });

    it('a takeover: the old connection closing ends only its own leases', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'old', 'exclusive', { sessionId: 'conn-1' }));
      sync(h.acquire('a', 'new', 'exclusive', { sessionId: 'conn-2' }));
      h.leases.releaseSession('conn-1', 'disconnected');
      expect(h.leases.list().resources.map((r) => r.resource)).to.deep.equal(['new']);
    });

    it('removing an agent ends its leases on every connection', () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r1', 'exclusive', { sessionId: 'conn-1' }));
      sync(h.acquire('a', 'r2', 'exclusive', { sessionId: 'conn-2' }));
      sync(h.acquire('b', 'r3', 'exclusive'));
      expect(h.leases.releaseAgent('a', 'removed')).to.equal(2);
      expect(h.seen.ended).to.deep.equal(['removed', 'removed']);
      expect(h.leases.list().resources.map((r) => r.resource)).to.deep.equal(['r3']);
    });

    it('cancels the waits of a departing agent (abandoned, not counted against the rate) and never grants them', async () => {
      const h = leaseHarness();
      const x = sync(h.acquire('x', 'r', 'exclusive'));
      // a both holds r2 and waits for r: its wait must be cancelled before r2 is released.
      sync(h.acquire('a', 'r2', 'exclusive'));
      const a = track(h.acquire('a', 'r', 'exclusive', { waitMs: 5000 }));
      const c = track(h.acquire('c', 'r2', 'exclusive', { waitMs: 5000 }));
      h.leases.releaseSession('s-a', 'disconnected');
      await h.settle();
      expect(a.error.errorName).to.equal('LEASE_WAIT_CANCELLED');
      expect(c.value!.resource).to.equal('r2');
      h.leases.release('x', x.leaseId);
      expect(h.leases.list('r').total).to.equal(0);
      expect(h.leases.conflicts(10).stats).to.deep.include({ abandoned: 1, resolved: 1, escalated: 0, resolutionRate: 1 });
      expect(h.clock.pendingTimers()).to.equal(1); // c's lease only
    });
  });

  describe('fencing tokens', () => {
    it('increase strictly per resource across grants, waits, expiries and resources', async () => {
      const h = leaseHarness();
      const tokens: number[] = [];
      for (let i = 0; i < 5; i++) {
        const g = sync(h.acquire('a', 'r', 'exclusive', { ttlMs: 100 }));
        tokens.push(g.fencingToken);
        sync(h.acquire('z', `other-${i}`, 'shared'));
        const w = track(h.acquire('b', 'r', 'exclusive', { waitMs: 1000, ttlMs: 100 }));
        h.clock.advance(100);
        await h.settle();
        tokens.push(w.value!.fencingToken);
        h.leases.release('b', w.value!.leaseId);
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).to.be.greaterThan(tokens[i - 1]!);
    });

    it('start from the clock by default, so a restarted daemon keeps issuing larger tokens', () => {
      const h = leaseHarness({ firstFencingToken: undefined });
      expect(sync(h.acquire('a', 'r', 'exclusive')).fencingToken).to.equal(h.clock.now() * 1000);
    });
  });

  describe('conflict accounting', () => {
    it('counts resolved, escalated and abandoned; rate and wait percentiles over resolved', async () => {
      const h = leaseHarness();
      const waits = [100, 200, 300, 400, 1000];
      for (const [i, ms] of waits.entries()) {
        const hold = sync(h.acquire('h', `r${i}`, 'exclusive', { ttlMs: 60_000 }));
        const w = track(h.acquire('w', `r${i}`, 'exclusive', { waitMs: 5000 }));
        h.clock.advance(ms);
        h.leases.release('h', hold.leaseId);
        await h.settle();
        h.leases.release('w', w.value!.leaseId);
      }
      sync(h.acquire('h', 'busy', 'exclusive', { ttlMs: 60_000 }));
      errorOf(() => h.acquire('w', 'busy', 'shared'));
      const pending = track(h.acquire('p', 'busy', 'shared', { waitMs: 50_000 }));
      const { stats, events } = h.leases.conflicts(3);
      expect(stats).to.deep.equal({
        total: 7,
        resolved: 5,
        escalated: 1,
        abandoned: 0,
        pending: 1,
        resolutionRate: 5 / 6,
        waitMs: { p50: 300, p95: 1000, p99: 1000 },
      });
      expect(events.map((e) => e.resolution)).to.deep.equal(['pending', 'escalated', 'resolved']);
      expect(h.leases.conflicts(10, 'r1').events.map((e) => e.resource)).to.deep.equal(['r1']);
      expect(pending.done).to.equal(false);
    });

    it('conflictStats(since) covers only conflicts that ended since then', async () => {
      const h = leaseHarness();
      const t0 = h.clock.now();
      const hold = sync(h.acquire('h', 'r', 'exclusive', { ttlMs: 60_000 }));
      const w1 = track(h.acquire('w1', 'r', 'exclusive', { waitMs: 500 }));
      h.clock.advance(500);
      await h.settle();
      expect(w1.error.errorName).to.equal('LEASE_WAIT_TIMEOUT');
      const t1 = h.clock.now() + 1;
      h.clock.advance(1);
      const w2 = track(h.acquire('w2', 'r', 'exclusive', { waitMs: 5000 }));
      h.clock.advance(250);
      h.leases.release('h', hold.leaseId);
      await h.settle();
      expect(w2.done).to.equal(true);
      expect(h.leases.conflictStats(t0)).to.deep.include({ resolved: 1, escalated: 1, resolutionRate: 0.5 });
      expect(h.leases.conflictStats(t1)).to.deep.equal({
        resolved: 1,
        escalated: 0,
        abandoned: 0,
        resolutionRate: 1,
        waitMs: { p50: 250, p95: 250, p99: 250 },
      });
    });

    it('keeps at most conflictHistory events but counts all', () => {
      const h = leaseHarness({ conflictHistory: 3 });
      sync(h.acquire('h', 'r', 'exclusive'));
      for (let i = 0; i < 5; i++) errorOf(() => h.acquire(`w${i}`, 'r', 'exclusive'));
      const { events, stats } = h.leases.conflicts(100);
      expect(events.map((e) => e.agentId)).to.deep.equal(['w4', 'w3', 'w2']);
      expect(stats.total).to.equal(5);
      expect(stats.escalated).to.equal(5);
    });

    it('reports a healthy resolution rate when every waiter is eventually served', async () => {
      const h = leaseHarness();
      const holders = ['a', 'b', 'c'].map((a) => sync(h.acquire(a, 'r', 'shared', { ttlMs: 1000 })));
      const waits = Array.from({ length: 10 }, (_, i) => track(h.acquire(`w${i}`, 'r', 'exclusive', { waitMs: 30_000, ttlMs: 100 })));
      await h.settle();
      // The three shared holders were granted at once; every exclusive request had to queue behind them.
      const [before] = h.leases.list('r').resources;
      expect(before!.leases.map((l) => [l.agentId, l.mode, l.fencingToken])).to.deep.equal(
        holders.map((g, i) => [['a', 'b', 'c'][i], 'shared', g.fencingToken]),
      );
      expect(before!.waiters.map((w) => w.agentId)).to.deep.equal(waits.map((_, i) => `w${i}`));
      expect(waits.some((w) => w.done)).to.equal(false);
      h.clock.advance(5000);
      await h.settle();
      // Served one at a time in arrival order: when the holders expire (1 s), then each 100 ms lease after the last.
      const tokens = waits.map((w) => w.value!.fencingToken);
      expect(tokens).to.deep.equal([...tokens].sort((x, y) => x - y));
      expect(tokens[0]).to.be.greaterThan(Math.max(...holders.map((g) => g.fencingToken)));
      const { events, stats } = h.leases.conflicts(100);
      expect(events.map((e) => [e.agentId, e.resolution, e.waitedMs]).reverse()).to.deep.equal(waits.map((_, i) => [`w${i}`, 'resolved', 1000 + 100 * i]));
      expect(stats).to.deep.include({ resolved: 10, escalated: 0, pending: 0, resolutionRate: 1 });
    });
  });

  describe('stop', () => {
    it('answers waiters SHUTTING_DOWN, clears timers, and refuses new acquires', async () => {
      const h = leaseHarness();
      sync(h.acquire('a', 'r', 'exclusive'));
      const b = track(h.acquire('b', 'r', 'exclusive', { waitMs: 5000 }));
      h.leases.stop();
      await h.settle();
      expect(b.error.errorName).to.equal('SHUTTING_DOWN');
      expect(h.clock.pendingTimers()).to.equal(0);
      expect(errorOf(() => h.acquire('c', 'x', 'shared'))).to.equal('SHUTTING_DOWN');
      expect(h.leases.releaseSession('s-a', 'disconnected')).to.equal(1);
    });
  });
});
