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
