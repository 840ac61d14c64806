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

/** A page of resource.list: `total` counts every resource that matched; `nextCursor` continues after the last. */
export interface ResourcePage {
  resources: ResourceView[];
  total: number;
  nextCursor?: string;
}

/**
 * Resources by name (`queues` is sorted in place), after `cursor`; `total` counts all given. A page
 * stops at `limit` resources or when its JSON would pass `maxBytes` (it always holds at least one),
 * and `nextCursor` continues there.
 */
export function pageOfResources(
  queues: { readonly resource: string; view(): ResourceView }[],
  limit: number,
  page: { cursor?: string; maxBytes?: number },
): ResourcePage {
  const { maxBytes = Infinity } = page;
  queues.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  const after = page.cursor === undefined ? undefined : Buffer.from(page.cursor, 'base64url').toString();
  const start = after === undefined ? 0 : queues.findIndex((q) => q.resource > after);
  const resources: ResourceView[] = [];
  let bytes = 0;
  for (let i = start < 0 ? queues.length : start; i < queues.length; i++) {
    const view = queues[i]!.view();
    bytes += JSON.stringify(view).length + 1;
    if (resources.length === limit || (bytes > maxBytes && resources.length > 0)) {
      return { resources, total: queues.length, nextCursor: Buffer.from(resources.at(-1)!.resource).toString('base64url') };
    }
    resources.push(view);
  }
  return { resources, total: queues.length };
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
