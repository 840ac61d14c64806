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
  return {
    leaseId: l.leaseId,
    resource: l.resource,
    mode: l.mode,
    agentId: l.agentId,
    fencingToken: l.fencingToken,
    acquiredAt: l.acquiredAt,
    expiresAt: l.expiresAt,
  };
}

/** Another agent's lease: without its lease id and fencing token, which are the holder's capabilities. */
export type RedactedLeaseView = Omit<LeaseView, 'leaseId' | 'fencingToken'>;

/** What an agent sees of someone else's lease. */
const redacted = (l: LeaseView): RedactedLeaseView => ({
  resource: l.resource,
  mode: l.mode,
  agentId: l.agentId,
  acquiredAt: l.acquiredAt,
  expiresAt: l.expiresAt,
});

/** Resources as an agent sees them: its own leases in full, everyone else's redacted. */
export function viewForAgent(
  resources: readonly ResourceView[],
  agentId: string | undefined,
): (Omit<ResourceView, 'leases'> & { leases: (LeaseView | RedactedLeaseView)[] })[] {
  return resources.map((r) => ({ ...r, leases: r.leases.map((l) => (l.agentId === agentId ? l : redacted(l))) }));
}
