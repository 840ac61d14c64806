import { DEFAULT_LEASE_STORE_OPTIONS, type LeaseStore, type LeaseStoreOptions, type StoredLease, type WaiterOutcome } from './lease-store.js';

/** LeaseStore in process memory (COORDD_STORE=memory, tests): nothing survives a restart. */
export class MemoryLeaseStore implements LeaseStore {
  readonly options: Readonly<LeaseStoreOptions>;
  private readonly byId = new Map<string, StoredLease>();
  /** Outcomes in the order they were saved (a re-save moves a key to the end). */
  private readonly outcomes = new Map<string, WaiterOutcome>();
  private highWater = 0;

  constructor(options: Partial<LeaseStoreOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_LEASE_STORE_OPTIONS, ...options });
  }

  saveLease(lease: StoredLease): void {
    const { timer: _timer, ...record } = lease as StoredLease & { timer?: unknown };
    this.byId.set(lease.leaseId, record);
    this.raiseFencing(lease.fencingToken);
  }

  deleteLease(leaseId: string): void {
    this.byId.delete(leaseId);
  }

  leases(now: number): StoredLease[] {
    for (const [id, lease] of this.byId) if (lease.expiresAt <= now) this.byId.delete(id);
    return [...this.byId.values()].sort((a, b) => a.fencingToken - b.fencingToken);
  }

  fencingHighWater(): number {
    return this.highWater;
  }

  raiseFencing(token: number): void {
    if (token > this.highWater) this.highWater = token;
  }

  saveOutcome(outcome: WaiterOutcome): void {
    this.outcomes.delete(outcome.key);
    this.outcomes.set(outcome.key, { ...outcome });
    for (const key of this.outcomes.keys()) {
      if (this.outcomes.size <= this.options.maxOutcomes) break;
      this.outcomes.delete(key);
    }
  }

  outcome(key: string, now: number): WaiterOutcome | undefined {
    const found = this.outcomes.get(key);
    return found && now - found.at <= this.options.outcomeRetentionMs ? found : undefined;
  }
}
