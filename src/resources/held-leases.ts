import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { LeaseStore, StoredLease } from './lease-store.js';
import type { Lease, LeaseMode } from './types.js';

/** What HeldLeases needs from the lease manager. */
export interface HeldLeasesDeps {
  clock: Clock;
  ids: IdGenerator;
  log: Log;
  store?: LeaseStore;
  /** A lease's ttl ran out: end it. */
  expired: (lease: Lease) => void;
}

/**
 * The leases held now, by id: each granted with the next fencing token, kept in the store with its
 * expiry, and timed until its ttl runs out. Tokens come from one daemon-wide counter, so they
 * strictly increase per resource, and never go backwards across a restart.
 */
export class HeldLeases {
  private readonly leases = new Map<string, Lease>();
  private nextToken: number;
  private halted = false;

  constructor(
    private readonly deps: HeldLeasesDeps,
    firstFencingToken: number | undefined,
  ) {
    this.nextToken = firstFencingToken ?? Math.max(1, Math.floor(deps.clock.now()) * 1000);
    // Tokens never go backwards across a restart: the next one is above every token ever handed out.
    if (deps.store) this.nextToken = Math.max(this.nextToken, deps.store.fencingHighWater() + 1);
  }

  /** Shutting down: no more expiry timers, and leases that end are kept in the store (they survive the restart). */
  get stopped(): boolean {
    return this.halted;
  }

  get(leaseId: string): Lease | undefined {
    return this.leases.get(leaseId);
  }

  /** The live lease `leaseId` of `agentId` (one found past its expiry expires now); LEASE_NOT_FOUND or LEASE_NOT_OWNED otherwise. */
  owned(agentId: string, leaseId: string): Lease {
    const lease = this.leases.get(leaseId);
    if (lease && this.deps.clock.now() >= lease.expiresAt && !this.halted) this.expire(lease);
    if (!lease || this.leases.get(leaseId) !== lease) throw new AppError('LEASE_NOT_FOUND', `no live lease ${leaseId}`, { leaseId });
    if (lease.agentId !== agentId) throw new AppError('LEASE_NOT_OWNED', `lease ${leaseId} belongs to ${lease.agentId}`, { leaseId, agentId: lease.agentId });
    return lease;
  }

  /** Leases held, by mode. */
  countByMode(): Record<LeaseMode, number> {
    const byMode = { exclusive: 0, shared: 0 };
    for (const l of this.leases.values()) byMode[l.mode]++;
    return byMode;
  }

  /** Take back a stored lease after a restart, timed to its stored expiry; undefined when it expired by `now` or is held already. */
  restore(stored: StoredLease, now: number): Lease | undefined {
    if (stored.expiresAt <= now || this.leases.has(stored.leaseId)) return undefined;
    const lease: Lease = { ...stored, timer: undefined };
    this.leases.set(lease.leaseId, lease);
    if (!this.halted) lease.timer = this.deps.clock.setTimeout(() => this.expire(lease), lease.expiresAt - now);
    this.nextToken = Math.max(this.nextToken, lease.fencingToken + 1);
    return lease;
  }

  /** A new lease with the next fencing token, stored and timed; a named acquire's outcome is stored with it. */
  grant(resource: string, agentId: string, sessionId: string, mode: LeaseMode, ttlMs: number, outcomeKey?: string): Lease {
    const now = this.deps.clock.now();
    const lease: Lease = {
      leaseId: this.deps.ids(),
      resource,
      mode,
      agentId,
      sessionId,
      fencingToken: this.nextToken++,
      acquiredAt: now,
      ttlMs,
      expiresAt: now,
      timer: undefined,
    };
    this.leases.set(lease.leaseId, lease);
    this.schedule(lease);
    // Stored in the grant's turn: if the reply is lost with the daemon, asking again finds it.
    if (outcomeKey !== undefined) {
      const { leaseId, fencingToken } = lease;
      this.deps.store?.saveOutcome({ key: outcomeKey, resource, agentId, outcome: 'granted', leaseId, fencingToken, at: now });
    }
    return lease;
  }

  /** Start the lease's ttl again from now: its expiry, its timer and its stored copy. */
  schedule(lease: Lease): void {
    this.clearTimer(lease);
    lease.expiresAt = this.deps.clock.now() + lease.ttlMs;
    if (!this.halted) lease.timer = this.deps.clock.setTimeout(() => this.expire(lease), lease.ttlMs);
    this.deps.store?.saveLease(storedOf(lease));
  }

  /** The lease ended: forget it, and stop its timer. */
  remove(lease: Lease): void {
    this.clearTimer(lease);
    this.leases.delete(lease.leaseId);
    // Connections closing during a shutdown do not end a lease in the store: it survives the restart.
    if (!this.halted) this.deps.store?.deleteLease(lease.leaseId);
  }

  /** Shutdown: stop every timer. Leases stay held (and listed). */
  stop(): void {
    this.halted = true;
    for (const l of this.leases.values()) this.clearTimer(l);
  }

  private expire(lease: Lease): void {
    lease.timer = undefined;
    if (this.leases.get(lease.leaseId) !== lease) return;
    this.deps.log.info({ resource: lease.resource, leaseId: lease.leaseId, agentId: lease.agentId, fencingToken: lease.fencingToken }, 'lease expired');
    this.deps.expired(lease);
  }

  private clearTimer(lease: Lease): void {
    if (lease.timer) this.deps.clock.clearTimeout(lease.timer);
    lease.timer = undefined;
  }
}

/** A lease as the store keeps it (without its timer). */
function storedOf(lease: Lease): StoredLease {
  const { timer: _timer, ...stored } = lease;
  return stored;
}
