import { expect } from 'chai';
import { sequentialIds } from '../../../src/ids.js';
import { silentLog } from '../../../src/log.js';
import { LeaseManager } from '../../../src/resources/lease-manager.js';
import { MemoryLeaseStore } from '../../../src/resources/memory-lease-store.js';
import type { Grant } from '../../../src/resources/types.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

/** A lease manager over `store`, as a daemon (re)starting at the clock's time builds it. */
function manager(store: MemoryLeaseStore, clock: VirtualClock, prefix: string): LeaseManager {
  const leases = new LeaseManager({ clock, ids: sequentialIds(prefix), log: silentLog, store }, { firstFencingToken: 1 });
  leases.restore(store.leases(clock.now()));
  return leases;
}

describe('LeaseManager over a LeaseStore: leases and fencing tokens across a restart', () => {
  it('a lease survives with its expiry, and every token after the restart is above every token before', () => {
    const store = new MemoryLeaseStore();
    const clock = new VirtualClock();
    const before = manager(store, clock, 'a');
    const held = before.acquire({ agentId: 'x', sessionId: 's1', resource: 'db', mode: 'exclusive', ttlMs: 10_000 }) as Grant;
    const brief = before.acquire({ agentId: 'x', sessionId: 's1', resource: 'cache', mode: 'exclusive', ttlMs: 1000 }) as Grant;
    const released = before.acquire({ agentId: 'x', sessionId: 's1', resource: 'tmp', mode: 'exclusive', ttlMs: 10_000 }) as Grant;
    before.release('x', released.leaseId);
    clock.advance(2000);
    // The "restart": a new manager on the same store, on a clock that went on (the old timers died with it).
    const after = manager(store, new VirtualClock(clock.now()), 'b');
    const db = after.list('db').resources[0]!;
    expect(db.leases.map((h) => [h.leaseId, h.fencingToken, h.expiresAt])).to.deep.equal([[held.leaseId, held.fencingToken, held.expiresAt]]);
    // Expired while down: gone. Released: gone.
    expect(after.list('cache').resources).to.deep.equal([]);
    expect(after.list('tmp').resources).to.deep.equal([]);
    expect(() => after.acquire({ agentId: 'y', sessionId: 's2', resource: 'db', mode: 'exclusive', ttlMs: 1000 })).to.throw(/db is/);
    const next = after.acquire({ agentId: 'y', sessionId: 's2', resource: 'other', mode: 'exclusive', ttlMs: 1000 }) as Grant;
    expect(next.fencingToken).to.be.greaterThan(Math.max(held.fencingToken, brief.fencingToken, released.fencingToken));
    // The held lease still ends at its expiry, and its holder can release it early.
    expect(after.release('x', held.leaseId)).to.include({ leaseId: held.leaseId });
    expect(store.leases(clock.now()).map((l) => l.leaseId)).to.deep.equal([next.leaseId]);
  });

  it('a shutdown (connections closing) does not end leases in the store', () => {
    const store = new MemoryLeaseStore();
    const clock = new VirtualClock();
    const leases = manager(store, clock, 'a');
    const g = leases.acquire({ agentId: 'x', sessionId: 's1', resource: 'db', mode: 'exclusive', ttlMs: 10_000 }) as Grant;
    leases.stop();
    leases.releaseSession('s1', 'disconnected');
    expect(store.leases(clock.now()).map((l) => l.leaseId)).to.deep.equal([g.leaseId]);
  });
});

describe('LeaseManager: named acquires (requestKey) across a lost reply, a reconnect and a restart', () => {
  const req = (agentId: string, sessionId: string, more: object = {}) => ({
    agentId,
    sessionId,
    resource: 'db',
    mode: 'exclusive' as const,
    ttlMs: 10_000,
    ...more,
  });

  it('a waiter granted just before the crash asks again after the restart and gets the same lease, now ending with its new connection', async () => {
    const store = new MemoryLeaseStore();
    const clock = new VirtualClock();
    const before = manager(store, clock, 'a');
    const first = before.acquire(req('holder', 's1')) as Grant;
    const waiting = before.acquire(req('waiter', 's2', { waitMs: 60_000, requestKey: 'k1' })) as Promise<Grant>;
    before.release('holder', first.leaseId);
    const granted = await waiting;
    // The grant's reply is lost with the daemon; the file holds the lease and the outcome.
    const after = manager(store, new VirtualClock(clock.now() + 1000), 'b');
    expect(after.acquire(req('waiter', 's3', { waitMs: 60_000, requestKey: 'k1' }))).to.deep.equal(granted);
    // Without the key it would be a second acquire, queued behind its own lease.
    expect(() => after.acquire(req('waiter', 's3'))).to.throw(/db is/);
    // Another agent's key of the same name is another acquire.
    expect(() => after.acquire(req('other', 's4', { requestKey: 'k1' }))).to.throw(/db is/);
    // Bound to the new connection: it ends when that one closes.
    expect(after.releaseSession('s3', 'disconnected')).to.equal(1);
    expect(after.list('db').resources).to.deep.equal([]);
  });

  it('a lease that ended is not answered again: the same key runs a new acquire', () => {
    const clock = new VirtualClock();
    const leases = manager(new MemoryLeaseStore(), clock, 'a');
    const g = leases.acquire(req('x', 's1', { requestKey: 'k' })) as Grant;
    expect(leases.acquire(req('x', 's1', { requestKey: 'k' }))).to.deep.equal(g);
    leases.release('x', g.leaseId);
    const again = leases.acquire(req('x', 's1', { requestKey: 'k' })) as Grant;
    expect(again.leaseId).to.not.equal(g.leaseId);
    clock.advance(10_000);
    const third = leases.acquire(req('x', 's1', { requestKey: 'k' })) as Grant;
    expect(third.fencingToken).to.be.greaterThan(again.fencingToken);
  });

  it('asking again while the first call still waits joins that wait: one grant for both', async () => {
    const leases = manager(new MemoryLeaseStore(), new VirtualClock(), 'a');
    const held = leases.acquire(req('h', 's0')) as Grant;
    const one = leases.acquire(req('x', 's1', { waitMs: 5000, requestKey: 'k' })) as Promise<Grant>;
    const two = leases.acquire(req('x', 's2', { waitMs: 5000, requestKey: 'k' })) as Promise<Grant>;
    expect(leases.stats().waiters).to.equal(1);
    leases.release('h', held.leaseId);
    expect(await two).to.deep.equal(await one);
  });

  it('a waiter still waiting when its connection dies is answered LEASE_WAIT_CANCELLED; its key then starts afresh', async () => {
    const leases = manager(new MemoryLeaseStore(), new VirtualClock(), 'a');
    const held = leases.acquire(req('h', 's0')) as Grant;
    const lost = (leases.acquire(req('x', 's1', { waitMs: 5000, requestKey: 'k' })) as Promise<Grant>).catch((e: { errorName?: string }) => e.errorName);
    leases.releaseSession('s1', 'disconnected');
    expect(await lost).to.equal('LEASE_WAIT_CANCELLED');
    const fresh = leases.acquire(req('x', 's2', { waitMs: 5000, requestKey: 'k' })) as Promise<Grant>;
    leases.release('h', held.leaseId);
    expect((await fresh).fencingToken).to.be.greaterThan(held.fencingToken);
  });
});
