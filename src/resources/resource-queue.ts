import { viewOf, type ResourceView } from './lease-views.js';
import type { ConflictEvent, ConflictKind, Lease, LeaseMode, Waiter } from './types.js';

/** Holders listed in a conflict event (the count is always exact). */
const MAX_HOLDERS_IN_EVENT = 32;

/**
 * One resource: who holds it and who waits for it. Waiters are ordered by priority (higher first),
 * then arrival. Only the head of the queue may be granted, so a stream of later shared requests
 * cannot starve an exclusive request that is waiting for the current shared holders to leave.
 */
export class ResourceQueue {
  readonly holders = new Map<string, Lease>();
  /** Sorted: priority descending, then seq ascending. */
  readonly waiters: Waiter[] = [];
  private exclusiveHolders = 0;

  constructor(readonly resource: string) {}

  /** Whether a lease of `mode` could be held alongside the current holders. */
  compatible(mode: LeaseMode): boolean {
    return mode === 'shared' ? this.exclusiveHolders === 0 : this.holders.size === 0;
  }

  /**
   * Whether a new request may be granted without queueing: it is compatible with the holders and
   * would stand first in line (strictly higher priority than every waiter; FIFO within a priority).
   */
  grantableNow(mode: LeaseMode, priority: number): boolean {
    const head = this.waiters[0];
    return (head === undefined || head.priority < priority) && this.compatible(mode);
  }

  /** Why a request that is not grantable now has to wait. */
  conflictKind(mode: LeaseMode): ConflictKind {
    if (this.exclusiveHolders > 0) return 'exclusive_held';
    if (mode === 'exclusive' && this.holders.size > 0) return 'shared_held';
    return 'queued_behind';
  }

  /** What a conflict event records about the resource when a request of `mode` has to wait. */
  contention(mode: LeaseMode): Pick<ConflictEvent, 'resource' | 'holders' | 'holderCount' | 'waiters' | 'kind'> {
    const holders = [...this.holders.values()].slice(0, MAX_HOLDERS_IN_EVENT).map((l) => ({ agentId: l.agentId, mode: l.mode, leaseId: l.leaseId }));
    return { resource: this.resource, holders, holderCount: this.holders.size, waiters: this.waiters.length, kind: this.conflictKind(mode) };
  }

  /** Leases and waiters (in queue order) as resource.list shows them. */
  view(): ResourceView {
    return {
      resource: this.resource,
      leases: [...this.holders.values()].map(viewOf),
      waiters: this.waiters.map((w) => ({ agentId: w.agentId, mode: w.mode, priority: w.priority, since: w.since, conflictId: w.conflict.conflictId })),
    };
  }

  addHolder(lease: Lease): void {
    this.holders.set(lease.leaseId, lease);
    if (lease.mode === 'exclusive') this.exclusiveHolders++;
  }

  removeHolder(lease: Lease): boolean {
    if (!this.holders.delete(lease.leaseId)) return false;
    if (lease.mode === 'exclusive') this.exclusiveHolders--;
    return true;
  }

  /** Queue a waiter in priority order (after every waiter of the same or higher priority). */
  enqueue(waiter: Waiter): void {
    let lo = 0;
    let hi = this.waiters.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.waiters[mid]!.priority >= waiter.priority) lo = mid + 1;
      else hi = mid;
    }
    this.waiters.splice(lo, 0, waiter);
  }

  removeWaiter(waiter: Waiter): boolean {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    return true;
  }

  /** The head waiter if it can be granted now (call repeatedly, adding each grant as a holder). */
  nextGrantable(): Waiter | undefined {
    const head = this.waiters[0];
    return head !== undefined && this.compatible(head.mode) ? head : undefined;
  }

  get idle(): boolean {
    return this.holders.size === 0 && this.waiters.length === 0;
  }

  get exclusiveCount(): number {
    return this.exclusiveHolders;
  }
}
