import type { Lease } from './types.js';

/** A lease as persisted: the record without its timer (a restart rebuilds timers from expiresAt). */
export type StoredLease = Omit<Lease, 'timer'>;

/** How a queued acquire ended, kept so it can still be told after a restart. */
export interface WaiterOutcome {
  /** Who waited: a key the caller chooses (e.g. agent id and request id). */
  readonly key: string;
  readonly resource: string;
  readonly agentId: string;
  readonly outcome: 'granted' | 'timeout' | 'cancelled' | 'rejected';
  readonly leaseId?: string;
  readonly fencingToken?: number;
  /** When it ended, on the injected clock. */
  readonly at: number;
}

/** How long and how many waiter outcomes a LeaseStore keeps. */
export interface LeaseStoreOptions {
  /** @defaultValue 600_000 */
  outcomeRetentionMs: number;
  /** @defaultValue 10_000 */
  maxOutcomes: number;
}

export const DEFAULT_LEASE_STORE_OPTIONS: Readonly<LeaseStoreOptions> = Object.freeze({ outcomeRetentionMs: 600_000, maxOutcomes: 10_000 });

/**
 * Where leases, the fencing high-water mark and waiters' outcomes live, so that after a restart
 * held leases stay held until their expiry and fencing tokens never go backwards. Synchronous like
 * TaskStore. Every implementation must pass test/unit/resources/lease-store-conformance.ts.
 */
export interface LeaseStore {
  /** Add or replace a lease (granted, renewed); also raises the fencing high-water mark to its token. */
  saveLease(lease: StoredLease): void;
  /** Forget a lease (released, expired, revoked); unknown ids are ignored. */
  deleteLease(leaseId: string): void;
  /** Leases not expired at `now` (expiresAt > now), in fencing token order; expired ones are deleted. */
  leases(now: number): StoredLease[];
  /** The highest fencing token ever saved or raised to; 0 when none. Never decreases. */
  fencingHighWater(): number;
  /** Record that tokens up to `token` were handed out. */
  raiseFencing(token: number): void;
  /** Keep how a waiter ended (replacing an outcome with the same key). */
  saveOutcome(outcome: WaiterOutcome): void;
  /** The outcome kept for `key`, unless older than outcomeRetentionMs at `now` or pushed out by maxOutcomes. */
  outcome(key: string, now: number): WaiterOutcome | undefined;
}
