import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import type { Clock } from '../time/clock.js';
import { ConflictLog, type ConflictTotals, type ConflictWindow } from './conflict-log.js';
import { HeldLeases } from './held-leases.js';
import { DEFAULT_LEASE_OPTIONS, type LeaseOptions } from './lease-options.js';
import { OwnerIndex } from './owner-index.js';
import { grantOf, pageOfResources, viewOf, type ResourcePage } from './lease-views.js';
import { ResourceQueue } from './resource-queue.js';
import type { LeaseStore, StoredLease } from './lease-store.js';
import type { AcquireRequest, ConflictEvent, Grant, Lease, LeaseEndReason, LeaseMode, LeaseObserver, Waiter } from './types.js';

export interface LeaseManagerDeps {
  clock: Clock;
  ids: IdGenerator;
  log: Log;
  observer?: LeaseObserver;
  /** Where leases, the fencing high-water mark and named acquires' grants persist across restarts. @defaultValue none (memory only; requestKey not remembered) */
  store?: LeaseStore;
}

type Entry = Lease | Waiter;
const isLease = (e: Entry): e is Lease => 'leaseId' in e;

/**
 * Resource leases: exclusive or shared, granted at once when compatible, otherwise queued by
 * priority then arrival until granted or `waitMs` passes. Every grant carries a fencing token that
 * strictly increases per resource. A lease ends when released, when it expires, or when its
 * connection closes or its agent is removed; every contended acquire is a conflict event.
 */
export class LeaseManager {
  readonly options: LeaseOptions;
  private readonly resources = new Map<string, ResourceQueue>();
  /** The leases held, with their fencing tokens, timers and stored copies. */
  private readonly held: HeldLeases;
  private readonly byAgent = new OwnerIndex<Entry>();
  private readonly bySession = new OwnerIndex<Entry>();
  private readonly history: ConflictLog;
  private readonly observer: LeaseObserver;
  private seq = 0;
  private waiting = 0;
  /** Named acquires still waiting, by outcome key: asking again joins the wait. */
  private readonly waitingByKey = new Map<string, Promise<Grant>>();

  constructor(
    private readonly deps: LeaseManagerDeps,
    options: Partial<LeaseOptions> = {},
  ) {
    this.options = { ...DEFAULT_LEASE_OPTIONS, ...options };
    this.history = new ConflictLog(this.options.conflictHistory);
    this.observer = deps.observer ?? {};
    const { clock, ids, log, store } = deps;
    this.held = new HeldLeases({ clock, ids, log, store, expired: (lease) => this.end(lease, 'expired') }, this.options.firstFencingToken);
  }

  /**
   * After a restart: take back the leases the store held that had not expired by now, with their
   * expiry times (a lease that expired while the daemon was down is gone). They end by release,
   * expiry or their agent's removal; their old connection is gone and cannot close them.
   */
  restore(leases: readonly StoredLease[]): number {
    const now = this.deps.clock.now();
    let restored = 0;
    for (const stored of leases) {
      const lease = this.held.restore(stored, now);
      if (!lease) continue;
      this.queueOf(lease.resource).addHolder(lease);
      this.track(lease);
      restored++;
    }
    return restored;
  }

  /**
   * Grant now (synchronously) when the resource is free for `mode`; otherwise queue, or refuse when
   * waitMs is 0. With a `requestKey` the acquire is named: asked again by the same agent (after a
   * lost reply, a reconnect or a daemon restart) it answers the same grant while that lease lives
   * (moving it to the asking connection), or joins the same wait; otherwise it runs as a new acquire.
   */
  acquire(req: AcquireRequest): Grant | Promise<Grant> {
    if (this.held.stopped) throw new AppError('SHUTTING_DOWN', 'leases are no longer granted');
    const outcomeKey = req.requestKey === undefined ? undefined : `${req.agentId}\n${req.requestKey}`;
    if (outcomeKey !== undefined) {
      const again = this.waitingByKey.get(outcomeKey) ?? this.granted(outcomeKey, req.sessionId);
      if (again) return again;
    }
    const { maxLeasesPerAgent, maxWaitersPerResource } = this.options;
    if (this.byAgent.count(req.agentId) >= maxLeasesPerAgent) {
      this.observer.acquired?.('rejected');
      throw new AppError('LEASE_LIMIT', `agent ${req.agentId} holds or awaits ${maxLeasesPerAgent} leases`, { agentId: req.agentId, maxLeasesPerAgent });
    }
    const priority = req.priority ?? 0;
    const ttlMs = Math.max(1, Math.min(req.ttlMs, this.options.maxTtlMs));
    const waitMs = Math.max(0, Math.min(req.waitMs ?? 0, this.options.maxWaitMs));
    const q = this.queueOf(req.resource);
    if (q.grantableNow(req.mode, priority)) {
      const lease = this.grant(q, req.agentId, req.sessionId, req.mode, ttlMs, outcomeKey);
      this.observer.acquired?.('granted');
      this.deps.log.debug({ resource: q.resource, leaseId: lease.leaseId, agentId: lease.agentId, mode: lease.mode }, 'lease granted');
      return grantOf(lease);
    }
    const conflict = this.openConflict(q, req.agentId, req.mode, priority);
    const refuse = (name: 'RESOURCE_BUSY' | 'LEASE_QUEUE_FULL', detail: string, data: object): never => {
      this.endConflict(conflict, 'escalated');
      this.observer.acquired?.('rejected');
      throw new AppError(name, detail, {
        resource: q.resource,
        kind: conflict.kind,
        holders: q.holders.size,
        waiters: q.waiters.length,
        conflictId: conflict.conflictId,
        ...data,
      });
    };
    if (waitMs === 0) refuse('RESOURCE_BUSY', `${q.resource} is ${conflict.kind.replace('_', ' ')}`, {});
    if (q.waiters.length >= maxWaitersPerResource)
      refuse('LEASE_QUEUE_FULL', `${maxWaitersPerResource} requests already wait for ${q.resource}`, { maxWaitersPerResource });
    const waiting = new Promise<Grant>((resolve, reject) => {
      const waiter: Waiter = {
        seq: ++this.seq,
        resource: q.resource,
        mode: req.mode,
        priority,
        agentId: req.agentId,
        sessionId: req.sessionId,
        ttlMs,
        since: this.deps.clock.now(),
        outcomeKey,
        conflict,
        resolve,
        reject,
        timer: undefined,
      };
      waiter.timer = this.deps.clock.setTimeout(() => this.timeOut(waiter), waitMs);
      q.enqueue(waiter);
      this.track(waiter);
      this.waiting++;
    });
    if (outcomeKey !== undefined) {
      this.waitingByKey.set(outcomeKey, waiting);
      const forget = (): void => void this.waitingByKey.delete(outcomeKey);
      waiting.then(forget, forget);
    }
    return waiting;
  }

  /** The grant a named acquire got, if its lease still lives: now held for the asking connection. */
  private granted(outcomeKey: string, sessionId: string): Grant | undefined {
    const outcome = this.deps.store?.outcome(outcomeKey, this.deps.clock.now());
    const lease = outcome?.leaseId === undefined ? undefined : this.held.get(outcome.leaseId);
    if (!lease || lease.agentId !== outcome!.agentId || this.deps.clock.now() >= lease.expiresAt) return undefined;
    if (lease.sessionId !== sessionId) {
      this.bySession.delete(lease.sessionId, lease);
      lease.sessionId = sessionId;
      this.bySession.add(sessionId, lease);
    }
    this.deps.log.debug({ resource: lease.resource, leaseId: lease.leaseId, agentId: lease.agentId }, 'named acquire answered with its earlier grant');
    return grantOf(lease);
  }

  /** Extend a lease by its ttl (or a new `ttlMs`); the fencing token stays. */
  renew(agentId: string, leaseId: string, ttlMs?: number): Grant {
    const lease = this.held.owned(agentId, leaseId);
    if (ttlMs !== undefined) lease.ttlMs = Math.max(1, Math.min(ttlMs, this.options.maxTtlMs));
    this.held.schedule(lease);
    return grantOf(lease);
  }

  /** End a lease before it expires; waiters behind it are granted. */
  release(agentId: string, leaseId: string): { leaseId: string; resource: string; heldMs: number } {
    const lease = this.held.owned(agentId, leaseId);
    const heldMs = this.end(lease, 'released');
    return { leaseId, resource: lease.resource, heldMs };
  }

  /** A connection closed: cancel its waits, then end its leases. Returns the number of leases ended. */
  releaseSession(sessionId: string, reason: Extract<LeaseEndReason, 'disconnected' | 'removed'>): number {
    return this.releaseAll(this.bySession.entries(sessionId), reason, { sessionId });
  }

  /** An agent was removed from the pool: cancel its waits and end its leases, on every connection. */
  releaseAgent(agentId: string, reason: Extract<LeaseEndReason, 'disconnected' | 'removed'>): number {
    return this.releaseAll(this.byAgent.entries(agentId), reason, { agentId });
  }

  /** Resources with their leases and waiters (resource.list), by name, paged: see {@link pageOfResources}. */
  list(resource?: string, limit = 1000, page: { cursor?: string; maxBytes?: number } = {}): ResourcePage {
    const queues = resource === undefined ? [...this.resources.values()] : [this.resources.get(resource)].filter((q) => q !== undefined);
    return pageOfResources(queues, limit, page);
  }

  /** Recent conflict events (newest first, copies) and the counters behind the resolution rate. */
  conflicts(limit: number, resource?: string): { events: ConflictEvent[]; stats: ConflictTotals } {
    return { events: this.history.recent(limit, resource).map((e) => ({ ...e, holders: [...e.holders] })), stats: this.history.totals() };
  }

  /**
   * For alerts: conflicts that ended at or after `sinceMs` (resolved, escalated, abandoned), the
   * resolution rate and the wait percentiles of the resolved ones, over the recent history.
   */
  conflictStats(sinceMs: number): ConflictWindow {
    return this.history.window(sinceMs);
  }

  /** Leases held by mode and acquires waiting (the metrics gauges). */
  stats(): { byMode: Record<LeaseMode, number>; waiters: number; resources: number } {
    return { byMode: this.held.countByMode(), waiters: this.waiting, resources: this.resources.size };
  }

  /** Shutdown: refuse new acquires, answer every waiter SHUTTING_DOWN, stop every timer. Leases stay listed. */
  stop(): void {
    if (this.held.stopped) return;
    this.held.stop();
    for (const q of this.resources.values()) {
      for (const w of [...q.waiters]) this.cancel(w, new AppError('SHUTTING_DOWN', 'the daemon is stopping'));
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private queueOf(resource: string): ResourceQueue {
    let q = this.resources.get(resource);
    if (!q) this.resources.set(resource, (q = new ResourceQueue(resource)));
    return q;
  }

  /** Grant the head waiters that fit, then forget the resource if nobody holds or wants it. */
  private pump(q: ResourceQueue): void {
    for (let w = q.nextGrantable(); w !== undefined; w = q.nextGrantable()) {
      q.waiters.shift();
      this.untrack(w);
      const lease = this.grant(q, w.agentId, w.sessionId, w.mode, w.ttlMs, w.outcomeKey);
      this.endConflict(w.conflict, 'resolved', lease.leaseId);
      this.observer.acquired?.('granted_after_wait');
      this.deps.log.debug(
        { resource: q.resource, leaseId: lease.leaseId, agentId: w.agentId, waitedMs: w.conflict.waitedMs, fencingToken: lease.fencingToken },
        'lease granted after waiting',
      );
      w.resolve(grantOf(lease));
    }
    if (q.idle) this.resources.delete(q.resource);
  }

  private grant(q: ResourceQueue, agentId: string, sessionId: string, mode: LeaseMode, ttlMs: number, outcomeKey?: string): Lease {
    const lease = this.held.grant(q.resource, agentId, sessionId, mode, ttlMs, outcomeKey);
    q.addHolder(lease);
    this.track(lease);
    this.observer.leaseStarted?.(viewOf(lease), sessionId);
    return lease;
  }

  /** End a lease and grant whoever can go next. Returns how long it was held. */
  private end(lease: Lease, reason: LeaseEndReason): number {
    this.held.remove(lease);
    this.untrack(lease);
    const q = this.resources.get(lease.resource)!;
    q.removeHolder(lease);
    const heldMs = this.deps.clock.now() - lease.acquiredAt;
    this.observer.leaseEnded?.(reason, viewOf(lease), heldMs);
    this.pump(q);
    return heldMs;
  }

  private timeOut(w: Waiter): void {
    w.timer = undefined;
    const q = this.resources.get(w.resource);
    if (!q?.removeWaiter(w)) return;
    this.untrack(w);
    this.endConflict(w.conflict, 'escalated');
    this.observer.acquired?.('timeout');
    this.deps.log.info(
      { resource: w.resource, agentId: w.agentId, kind: w.conflict.kind, waitedMs: w.conflict.waitedMs, holders: q.holders.size },
      'lease wait timed out: conflict escalated',
    );
    w.reject(
      new AppError('LEASE_WAIT_TIMEOUT', `${w.resource} not granted within ${w.conflict.waitedMs} ms`, {
        resource: w.resource,
        waitedMs: w.conflict.waitedMs,
        holders: q.holders.size,
        waiters: q.waiters.length,
        conflictId: w.conflict.conflictId,
      }),
    );
    this.pump(q);
  }

  /**
   * Withdraw a waiter that will never be granted (its agent left, or shutdown); not counted against
   * the resolution rate. Returns its queue, which the caller must pump once it has withdrawn all.
   */
  private cancel(w: Waiter, err: AppError): ResourceQueue | undefined {
    const q = this.resources.get(w.resource);
    if (!q?.removeWaiter(w)) return undefined;
    this.untrack(w);
    this.endConflict(w.conflict, 'abandoned');
    this.observer.acquired?.('cancelled');
    w.reject(err);
    return q;
  }

  private releaseAll(entries: Entry[], reason: Extract<LeaseEndReason, 'disconnected' | 'removed'>, who: object): number {
    // Every wait leaves its queue before any queue moves, so nothing is granted to the owner that is going away.
    const waits = entries.filter((e): e is Waiter => !isLease(e));
    const touched = new Set<ResourceQueue>();
    for (const w of waits) {
      const q = this.cancel(
        w,
        new AppError('LEASE_WAIT_CANCELLED', `the waiting agent ${reason === 'removed' ? 'was removed' : 'disconnected'}`, { resource: w.resource, reason }),
      );
      if (q) touched.add(q);
    }
    const held = entries.filter(isLease).filter((l) => this.held.get(l.leaseId) === l);
    for (const l of held) this.end(l, reason);
    for (const q of touched) if (this.resources.get(q.resource) === q && !this.held.stopped) this.pump(q);
    if (waits.length + held.length > 0) this.deps.log.info({ ...who, reason, leases: held.length, waits: waits.length }, 'leases released: owner gone');
    return held.length;
  }

  private openConflict(q: ResourceQueue, agentId: string, mode: LeaseMode, priority: number): ConflictEvent {
    return this.history.open({ conflictId: this.deps.ids(), agentId, mode, priority, ...q.contention(mode), at: this.deps.clock.now(), resolution: 'pending' });
  }

  private endConflict(event: ConflictEvent, resolution: 'resolved' | 'escalated' | 'abandoned', leaseId?: string): void {
    if (this.history.end(event, resolution, this.deps.clock.now(), leaseId)) this.observer.conflictEnded?.(event);
  }

  private track(e: Entry): void {
    this.byAgent.add(e.agentId, e);
    this.bySession.add(e.sessionId, e);
  }

  private untrack(e: Entry): void {
    this.byAgent.delete(e.agentId, e);
    this.bySession.delete(e.sessionId, e);
    if (!isLease(e)) {
      this.waiting--;
      if (e.timer) this.deps.clock.clearTimeout(e.timer);
      e.timer = undefined;
    }
  }
}
