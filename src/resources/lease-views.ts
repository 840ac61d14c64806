import type { Grant, Lease, LeaseMode, LeaseView } from './types.js';

/** A queued acquire as resource.list shows it. */
export interface WaiterView {
  agentId: string;
  mode: LeaseMode;
  priority: number;
  since: number;
  conflictId: string;
}

/** One resource as resource.list shows it. */
export interface ResourceView {
  resource: string;
  leases: LeaseView[];
  /** In queue order. */
  waiters: WaiterView[];
}

/** What the holder is told at grant and renewal. */
export function grantOf(l: Lease): Grant {
  return { leaseId: l.leaseId, resource: l.resource, mode: l.mode, fencingToken: l.fencingToken, expiresAt: l.expiresAt };
}

/** A lease without its internals (session, timer). */
export function viewOf(l: Lease): LeaseView {
  return { leaseId: l.leaseId, resource: l.resource, mode: l.mode, agentId: l.agentId, fencingToken: l.fencingToken, acquiredAt: l.acquiredAt, expiresAt: l.expiresAt };
}
