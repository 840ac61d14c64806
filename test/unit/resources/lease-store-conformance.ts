import { expect } from 'chai';
import type { LeaseStore, StoredLease, WaiterOutcome } from '../../../src/resources/lease-store.js';

let n = 0;
/** A valid StoredLease with a fresh id and token; `overrides` win. */
export function makeLease(overrides: Partial<StoredLease> = {}): StoredLease {
  n++;
  return {
    leaseId: `lease-${n}`,
    resource: `res-${n}`,
    mode: 'exclusive',
    agentId: 'agent-1',
    sessionId: 'session-1',
    fencingToken: 1000 + n,
    acquiredAt: 1_000,
    ttlMs: 5_000,
    expiresAt: 6_000,
    ...overrides,
  };
}

const outcome = (key: string, at: number, extra: Partial<WaiterOutcome> = {}): WaiterOutcome => ({
  key,
  resource: 'r',
  agentId: 'a',
  outcome: 'granted',
  leaseId: 'l',
  fencingToken: 7,
  at,
  ...extra,
});

/** The behaviour every LeaseStore must show; `make` builds an empty store with these options. */
export function leaseStoreConformance(name: string, make: (options: { outcomeRetentionMs: number; maxOutcomes: number }) => LeaseStore): void {
  describe(`LeaseStore conformance: ${name}`, () => {
    const options = { outcomeRetentionMs: 1_000, maxOutcomes: 3 };
    let store: LeaseStore;
    beforeEach(() => {
      store = make(options);
    });

    it('keeps leases until they expire, in fencing token order, and deletes expired ones', () => {
      const late = makeLease({ fencingToken: 50, expiresAt: 10_000 });
      const early = makeLease({ fencingToken: 20, expiresAt: 5_000 });
      store.saveLease(late);
      store.saveLease(early);
      expect(store.leases(4_999)).to.deep.equal([early, late]);
      expect(store.leases(5_000)).to.deep.equal([late]);
      // Once deleted, an earlier `now` does not bring it back.
      expect(store.leases(0)).to.deep.equal([late]);
    });

    it('replaces a renewed lease and forgets a deleted one', () => {
      const lease = makeLease();
      store.saveLease(lease);
      store.saveLease({ ...lease, expiresAt: 60_000, ttlMs: 59_000 });
      expect(store.leases(7_000)).to.deep.equal([{ ...lease, expiresAt: 60_000, ttlMs: 59_000 }]);
      store.deleteLease(lease.leaseId);
      store.deleteLease('never-existed');
      expect(store.leases(0)).to.deep.equal([]);
    });

    it('stores a lease without its timer', () => {
      const lease = makeLease();
      store.saveLease({ ...lease, timer: { id: 1 } } as StoredLease);
      expect(store.leases(0)).to.deep.equal([lease]);
    });

    it('keeps the fencing high-water mark, which never goes down, even when leases are deleted', () => {
      expect(store.fencingHighWater()).to.equal(0);
      const lease = makeLease({ fencingToken: 500 });
      store.saveLease(lease);
      expect(store.fencingHighWater()).to.equal(500);
      store.deleteLease(lease.leaseId);
      store.raiseFencing(300);
      expect(store.fencingHighWater()).to.equal(500);
      store.raiseFencing(900);
      store.saveLease(makeLease({ fencingToken: 600 }));
      expect(store.fencingHighWater()).to.equal(900);
    });

    it('keeps waiter outcomes for outcomeRetentionMs, replaced by key', () => {
      store.saveOutcome(outcome('w1', 100, { outcome: 'timeout', leaseId: undefined, fencingToken: undefined }));
      expect(store.outcome('w1', 1_100)).to.deep.include({ key: 'w1', outcome: 'timeout' });
      expect(store.outcome('w1', 1_101)).to.equal(undefined);
      store.saveOutcome(outcome('w1', 2_000));
      expect(store.outcome('w1', 2_500)).to.deep.equal(outcome('w1', 2_000));
      expect(store.outcome('nobody', 0)).to.equal(undefined);
    });

    it('keeps at most maxOutcomes, dropping the earliest saved', () => {
      for (const key of ['a', 'b', 'c', 'd']) store.saveOutcome(outcome(key, 10));
      expect(store.outcome('a', 10)).to.equal(undefined);
      for (const key of ['b', 'c', 'd']) expect(store.outcome(key, 10)?.key).to.equal(key);
      store.saveOutcome(outcome('b', 11));
      store.saveOutcome(outcome('e', 12));
      expect(store.outcome('c', 12)).to.equal(undefined);
      expect(store.outcome('b', 12)?.at).to.equal(11);
    });
  });
}
