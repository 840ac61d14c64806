import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, AgentState } from './common.js';
import { TaskState } from './task.js';

const Percentiles = z.object({ p50: z.number(), p95: z.number(), p99: z.number() });
const TemplateName = z.string().min(1).max(128);

export const poolStatus = defineMethod({
  name: 'pool.status',
  summary: 'Agents by state, capacity and utilization, queue depth, tasks by state, wait and run latency, isolation.',
  roles: ['operator', 'admin'],
  params: z.strictObject({}),
  result: z.object({
    agents: z.object({ total: z.number().int(), byState: z.record(AgentState, z.number().int()) }),
    capacity: z.object({ total: z.number().int(), used: z.number().int() }),
    utilization: z.number().min(0),
    queue: z.object({ depth: z.number().int(), byPriority: z.record(z.string(), z.number().int()), oldestWaitMs: z.number() }),
    tasks: z.object({ byState: z.record(TaskState, z.number().int()) }),
    latency: z.object({ queueWait: Percentiles, run: Percentiles }).describe('Seconds, interpolated from the histograms since start'),
    isolation: z.object({ ok: z.boolean() }),
    accepting: z.boolean(),
    store: z
      .object({
        name: z.string().describe("Where state lives (COORDD_STORE): 'sqlite:<path>' or 'memory'"),
        awaitingReattach: z.number().int().describe('IN_PROGRESS tasks of the last run still waiting for their agent to reattach'),
      })
      .optional(),
  }),
});

export const poolIsolationReport = defineMethod({
  name: 'pool.isolationReport',
  summary: 'Every live agent with its context window (and pid when spawned); no window may be shared.',
  roles: ['operator', 'admin'],
  params: z.strictObject({}),
  result: z.object({
    ok: z.boolean(),
    agents: z.array(z.object({ agentId: AgentId, contextWindowId: z.string(), pid: z.number().int().optional() })),
    sharedContextWindowIds: z.array(z.string()),
  }),
});

export const poolSpawn = defineMethod({
  name: 'pool.spawn',
  summary: "Start worker processes from a template in the daemon's configuration; resolves once they registered.",
  roles: ['operator', 'admin'],
  params: z.strictObject({
    count: z.number().int().min(1).max(256),
    template: TemplateName.optional().describe("Default 'echo' (the reference worker shipped in the package)"),
  }),
  result: z.object({ template: TemplateName, agentIds: z.array(AgentId), pids: z.array(z.number().int()) }),
});

export const poolDespawn = defineMethod({
  name: 'pool.despawn',
  summary: 'Drain spawned agents (no new work, running tasks finish) and stop their processes.',
  roles: ['operator', 'admin'],
  params: z.union([
    z.strictObject({ agentIds: z.array(AgentId).min(1).max(256), drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional() }),
    z.strictObject({ count: z.number().int().min(1).max(256), drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional() }),
  ]),
  result: z.object({ stopped: z.array(AgentId), notSpawned: z.array(AgentId) }),
});

export const poolShutdown = defineMethod({
  name: 'pool.shutdown',
  summary: 'Stop taking tasks, let running ones finish up to drainTimeoutMs, requeue the rest as PENDING, stop spawned workers.',
  roles: ['admin', 'operator'],
  params: z.strictObject({ drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional().describe('Default COORDD_SHUTDOWN_TIMEOUT') }),
  result: z.object({ drained: z.boolean(), requeued: z.number().int(), stoppedWorkers: z.number().int() }),
});
