import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, Cursor, Limit, Timestamp } from './common.js';

export const ResourceName = z.string().min(1).max(512).describe('Any name the agents agree on (a file, a table, a branch…)');
export const LeaseId = z.string().min(1).max(128);
export const LeaseMode = z.enum(['exclusive', 'shared']);
const FencingToken = z.number().int().positive().describe('Strictly increasing per resource: a guard refuses writes carrying a lower token than it has seen');
const TtlSeconds = z.number().positive().max(604_800);

const Grant = z.object({
  leaseId: LeaseId,
  resource: ResourceName,
  mode: LeaseMode,
  fencingToken: FencingToken,
  expiresAt: Timestamp,
});

const LeaseView = z.object({
  leaseId: LeaseId.optional().describe("Absent from another agent's lease when an agent connection asks (the holder's capability)"),
  resource: ResourceName,
  mode: LeaseMode,
  agentId: AgentId,
  fencingToken: FencingToken.optional().describe("Absent from another agent's lease when an agent connection asks (the holder's capability)"),
  acquiredAt: Timestamp,
  expiresAt: Timestamp,
});

const WaiterView = z.object({
  agentId: AgentId,
  mode: LeaseMode,
  priority: z.number().int(),
  since: Timestamp,
  conflictId: z.string(),
});

export const CONFLICT_KINDS = ['exclusive_held', 'shared_held', 'queued_behind'] as const;
export const CONFLICT_RESOLUTIONS = ['pending', 'resolved', 'escalated', 'abandoned'] as const;

const ConflictEvent = z.object({
  conflictId: z.string(),
  resource: ResourceName,
  mode: LeaseMode,
  priority: z.number().int(),
  agentId: AgentId.describe('The agent that had to wait'),
  holders: z.array(z.object({ agentId: AgentId, mode: LeaseMode, leaseId: LeaseId })).describe('Holders when it arrived (at most 32 listed)'),
  holderCount: z.number().int().nonnegative(),
  waiters: z.number().int().nonnegative().describe('Requests already waiting when it arrived'),
  kind: z.enum(CONFLICT_KINDS),
  at: Timestamp,
  resolution: z.enum(CONFLICT_RESOLUTIONS),
  endedAt: Timestamp.optional(),
  waitedMs: z.number().nonnegative().optional(),
  leaseId: LeaseId.optional().describe('The lease granted, when resolved'),
});

const Percentiles = z.object({ p50: z.number().nonnegative(), p95: z.number().nonnegative(), p99: z.number().nonnegative() });

export const resourceAcquire = defineMethod({
  name: 'resource.acquire',
  summary:
    'Lease a resource for the calling agent: granted at once when free for the mode, otherwise queued by priority then arrival until granted or waitMs passes (LEASE_WAIT_TIMEOUT); waitMs 0 answers RESOURCE_BUSY at once.',
  roles: ['agent', 'admin'],
  params: z.strictObject({
    resource: ResourceName,
    mode: LeaseMode,
    ttlSeconds: TtlSeconds.describe('Lease lifetime, capped at leases.maxTtlSeconds'),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional().describe('Higher first while waiting; default 0'),
    waitMs: z.number().int().min(0).max(86_400_000).optional().describe('How long to queue when contended, capped at leases.maxWaitSeconds; default 0 (do not wait)'),
    requestKey: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        "Names this acquire: the same agent asking again with it (after a lost reply, a reconnect or a daemon restart) gets the lease it granted while that lease lives, or joins the same wait",
      ),
  }),
  result: Grant,
});

export const resourceRenew = defineMethod({
  name: 'resource.renew',
  summary: 'Extend a live lease by its ttl (or a new ttlSeconds) from now; the fencing token stays. Only the holding agent may.',
  roles: ['agent', 'admin'],
  params: z.strictObject({ leaseId: LeaseId, ttlSeconds: TtlSeconds.optional().describe('Replaces the lease ttl') }),
  result: Grant,
});

export const resourceRelease = defineMethod({
  name: 'resource.release',
  summary: 'End a lease now; the next waiters are granted. Only the holding agent may.',
  roles: ['agent', 'admin'],
  params: z.strictObject({ leaseId: LeaseId }),
  result: z.object({ leaseId: LeaseId, resource: ResourceName, heldMs: z.number().nonnegative() }),
});

export const resourceList = defineMethod({
  name: 'resource.list',
  summary:
    "Resources held or awaited (by name), each with its leases and its waiters in queue order. To an agent connection, other agents' leases come without leaseId and fencingToken.",
  roles: ['agent', 'operator', 'admin'],
  params: z.strictObject({
    resource: ResourceName.optional(),
    limit: Limit.optional().describe('Resources returned; default 1000'),
    cursor: Cursor.optional(),
  }),
  result: z.object({
    resources: z.array(z.object({ resource: ResourceName, leases: z.array(LeaseView), waiters: z.array(WaiterView) })),
    total: z.number().int().nonnegative().describe('Resources that matched, before the limit'),
    nextCursor: Cursor.optional().describe('More resources follow (the page stopped at the limit or at COORDD_MAX_REPLY_BYTES)'),
  }),
});

export const coordinationConflicts = defineMethod({
  name: 'coordination.conflicts',
  summary:
    'Recent resource conflicts (contended acquires), newest first, and since start: counts by resolution, resolutionRate = resolved / (resolved + escalated), wait percentiles of recent resolved ones.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ limit: Limit.optional().describe('Events returned; default 100'), resource: ResourceName.optional() }),
  result: z.object({
    events: z.array(ConflictEvent),
    stats: z.object({
      total: z.number().int().nonnegative(),
      resolved: z.number().int().nonnegative(),
      escalated: z.number().int().nonnegative(),
      abandoned: z.number().int().nonnegative(),
      pending: z.number().int().nonnegative(),
      resolutionRate: z.number().min(0).max(1),
      waitMs: Percentiles,
    }),
  }),
});

export const RESOURCE_METHODS = [resourceAcquire, resourceRenew, resourceRelease, resourceList, coordinationConflicts] as const;
