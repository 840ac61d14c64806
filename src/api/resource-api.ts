import type { RpcEngine } from '../rpc/engine.js';
import type { LeaseManager } from '../resources/lease-manager.js';
import { viewForAgent } from '../resources/lease-views.js';
import { coordinationConflicts, resourceAcquire, resourceList, resourceRelease, resourceRenew } from '../schemas/resource.js';
import { registeredAgent } from './agent-api.js';

const seconds = (s: number): number => Math.max(1, Math.round(s * 1000));

/** resource.acquire/renew/release/list and coordination.conflicts. Leases belong to the calling agent and connection; an agent sees only its own leases' ids and fencing tokens. */
export function registerResourceApi(engine: RpcEngine, deps: { leases: LeaseManager; maxReplyBytes: number }): void {
  const { leases } = deps;

  engine.register(resourceAcquire, (p, ctx) =>
    leases.acquire({
      agentId: registeredAgent(ctx),
      sessionId: ctx.session.id,
      resource: p.resource,
      mode: p.mode,
      ttlMs: seconds(p.ttlSeconds),
      priority: p.priority,
      waitMs: p.waitMs,
      requestKey: p.requestKey,
    }),
  );

  engine.register(resourceRenew, (p, ctx) => leases.renew(registeredAgent(ctx), p.leaseId, p.ttlSeconds === undefined ? undefined : seconds(p.ttlSeconds)));

  engine.register(resourceRelease, (p, ctx) => leases.release(registeredAgent(ctx), p.leaseId));

  // Lease ids and fencing tokens are the holder's capabilities: agents see only their own.
  engine.register(resourceList, (p, ctx) => {
    const page = leases.list(p.resource, p.limit ?? 1000, { cursor: p.cursor, maxBytes: deps.maxReplyBytes });
    return ctx.session.role === 'agent' ? { ...page, resources: viewForAgent(page.resources, ctx.session.agentId) } : page;
  });

  engine.register(coordinationConflicts, (p) => leases.conflicts(p.limit ?? 100, p.resource));
}
