import type { CONFLICT_KINDS, CONFLICT_RESOLUTIONS, LeaseMode as LeaseModeSchema } from '../schemas/resource.js';
import type { TimerHandle } from '../time/clock.js';
import type { z } from 'zod';

export type LeaseMode = z.infer<typeof LeaseModeSchema>;

/** Why a lease ended. */
export type LeaseEndReason = 'released' | 'expired' | 'disconnected' | 'removed';

/** What resource.acquire asked for, after the API layer parsed it. */
export interface AcquireRequest {
  agentId: string;
  /** The connection asking: its leases end when it closes. */
  sessionId: string;
  resource: string;
  mode: LeaseMode;
  ttlMs: number;
  /** Higher is served first. @defaultValue 0 */
  priority?: number;
  /** How long to queue when contended; 0 fails at once with RESOURCE_BUSY. @defaultValue 0 */
  waitMs?: number;
  /** The caller's name for this acquire: asking again with it returns the lease it granted while that lease lives. @defaultValue none */
  requestKey?: string;
}

/** A granted lease as clients see it. */
export interface Grant {
  leaseId: string;
  resource: string;
  mode: LeaseMode;
  fencingToken: number;
  expiresAt: number;
}

/** A lease as resource.list and the observer see it. */
export interface LeaseView {
  leaseId: string;
  resource: string;
  mode: LeaseMode;
  agentId: string;
  fencingToken: number;
  acquiredAt: number;
  expiresAt: number;
}

/** A held lease (internal record). */
export interface Lease {
  readonly leaseId: string;
  readonly resource: string;
  readonly mode: LeaseMode;
  readonly agentId: string;
  /** The connection it ends with; a repeated acquire (requestKey) moves it to the asking connection. */
  sessionId: string;
  readonly fencingToken: number;
  readonly acquiredAt: number;
  ttlMs: number;
  expiresAt: number;
  timer: TimerHandle | undefined;
}

/** A queued acquire (internal record). */
export interface Waiter {
  /** Arrival order, daemon-wide: FIFO within a priority. */
  readonly seq: number;
  readonly resource: string;
  readonly mode: LeaseMode;
  readonly priority: number;
  readonly agentId: string;
  readonly sessionId: string;
  readonly ttlMs: number;
  readonly since: number;
  /** The outcome key (agent and requestKey) when the caller named the acquire. */
  readonly outcomeKey: string | undefined;
  readonly conflict: ConflictEvent;
  readonly resolve: (grant: Grant) => void;
  readonly reject: (err: Error) => void;
  timer: TimerHandle | undefined;
}

/**
 * Why an acquire had to wait: `exclusive_held` (an exclusive holder exists), `shared_held`
 * (exclusive wanted, shared holders exist), `queued_behind` (compatible with the holders, but
 * others with at least the same priority were already waiting).
 */
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

/** `resolved`: granted after waiting; `escalated`: not granted (timed out, or refused at once); `abandoned`: the waiter left. */
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];

/** One contended acquire. Mutable while pending; final once resolved, escalated or abandoned. */
export interface ConflictEvent {
  conflictId: string;
  resource: string;
  mode: LeaseMode;
  priority: number;
  agentId: string;
  /** The holders when it arrived (at most 32 listed; `holderCount` is exact). */
  holders: { agentId: string; mode: LeaseMode; leaseId: string }[];
  holderCount: number;
  /** Requests already waiting when this one arrived. */
  waiters: number;
  kind: ConflictKind;
  at: number;
  resolution: ConflictResolution;
  /** Set once the event is no longer pending. */
  endedAt?: number;
  waitedMs?: number;
  /** The lease finally granted (resolved events). */
  leaseId?: string;
}

/** Result labels of coordd_resource_acquires_total. */
export type AcquireResult = 'granted' | 'granted_after_wait' | 'timeout' | 'rejected' | 'cancelled';

/** What the LeaseManager tells the outside (metrics). Every hook is optional. */
export interface LeaseObserver {
  /** An acquire finished: granted at once or after waiting, timed out, refused, or cancelled. */
  acquired?(result: AcquireResult): void;
  /** A lease was granted (at once or after waiting). */
  leaseStarted?(lease: LeaseView, sessionId: string): void;
  /** A lease ended. */
  leaseEnded?(reason: LeaseEndReason, lease: LeaseView, heldMs: number): void;
  /** A conflict event left `pending`. */
  conflictEnded?(event: Readonly<ConflictEvent>): void;
}
