import { sequentialIds } from '../../src/ids.js';
import { silentLog } from '../../src/log.js';
import { LeaseManager } from '../../src/resources/lease-manager.js';
import type { LeaseOptions } from '../../src/resources/lease-options.js';
import type { AcquireRequest, AcquireResult, ConflictEvent, Grant, LeaseEndReason } from '../../src/resources/types.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

/** What the observer saw, for assertions. */
export interface Seen {
  acquired: AcquireResult[];
  ended: LeaseEndReason[];
  conflicts: ConflictEvent[];
}

/** A LeaseManager on a virtual clock, with sequential ids and fencing tokens from 1. */
export function leaseHarness(options: Partial<LeaseOptions> = {}) {
  const clock = new VirtualClock();
  const seen: Seen = { acquired: [], ended: [], conflicts: [] };
  const leases = new LeaseManager(
    {
      clock,
      ids: sequentialIds('L'),
      log: silentLog,
      observer: {
        acquired: (r) => seen.acquired.push(r),
        leaseEnded: (r) => seen.ended.push(r),
        conflictEnded: (e) => seen.conflicts.push({ ...e }),
      },
    },
    { firstFencingToken: 1, ...options },
  );
  /** Acquire as `agentId` on session `s-<agentId>` unless given. */
  const acquire = (agentId: string, resource: string, mode: AcquireRequest['mode'], more: Partial<AcquireRequest> = {}): Grant | Promise<Grant> =>
    leases.acquire({ agentId, sessionId: `s-${agentId}`, resource, mode, ttlMs: 10_000, ...more });
  /** Let promise callbacks run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, leases, seen, acquire, settle };
}

/** Track a promise's outcome without awaiting it. */
export function track<T>(p: T | Promise<T>): { value?: T; error?: any; done: boolean } {
  const out: { value?: T; error?: any; done: boolean } = { done: false };
  Promise.resolve(p).then(
    (v) => Object.assign(out, { value: v, done: true }),
    (e: unknown) => Object.assign(out, { error: e, done: true }),
  );
  return out;
}

/** The error name an AppError-throwing call produced. */
export function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { errorName?: string }).errorName ?? String(err);
  }
  return undefined;
}
