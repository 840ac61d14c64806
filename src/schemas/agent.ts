import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, AgentState, Cursor, Limit, SignalType, Timestamp, Unit } from './common.js';

export const Capability = z.string().min(1).max(128);
export const ContextWindowId = z.string().min(1).max(256);

/** An attempt an agent runs: the task and the epoch task.run gave it. */
export const RunningTaskRef = z.strictObject({
  taskId: z.string().min(1).max(128),
  epoch: z.number().int().min(1),
});

export const agentRegister = defineMethod({
  name: 'agent.register',
  summary:
    'Register this connection as an agent (one per connection). An id belongs to the credential that registered it: the same credential from a new connection takes over, another gets FORBIDDEN.',
  roles: ['agent', 'admin'],
  params: z.strictObject({
    agentId: AgentId.optional().describe('Default: a new UUID'),
    name: z.string().min(1).max(256).optional(),
    type: z.string().min(1).max(128).optional(),
    capabilities: z.array(Capability).max(256),
    capacity: z.number().int().min(1).max(10_000).describe('Maximum concurrent tasks'),
    contextWindowId: ContextWindowId.optional().describe('Default: a new UUID; refused if a live agent holds it'),
    running: z
      .array(RunningTaskRef)
      .max(10_000)
      .optional()
      .describe('After a reconnect: the attempts this agent still runs. Its own, with the epoch the daemon holds, are reattached (report them by task.report); it must stop the rest.'),
  }),
  result: z.object({
    agentId: AgentId,
    contextWindowId: ContextWindowId,
    heartbeatIntervalMs: z.number().int().positive(),
    leaseTtlMs: z.number().int().positive().describe('Missing heartbeats for this long makes the agent DEGRADED'),
    reattached: z.array(RunningTaskRef).optional().describe('Of `running`: the attempts bound to this agent again; deliver their outcome by task.report'),
    dropped: z.array(RunningTaskRef).optional().describe('Of `running`: attempts the daemon no longer expects from this agent; stop them and send nothing'),
  }),
});

export const HealthReport = z.strictObject({
  memoryMb: z.number().nonnegative().optional(),
  cpuPercent: z.number().nonnegative().optional(),
  contextSwitches: z.number().int().nonnegative().optional(),
});

export const agentHeartbeat = defineMethod({
  name: 'agent.heartbeat',
  summary: 'Tell the daemon the agent is alive (request or notification), optionally with its state and health.',
  roles: ['agent', 'admin'],
  params: z.strictObject({
    state: z.enum(['IDLE', 'ANALYZING', 'EXECUTING']).optional(),
    health: HealthReport.optional(),
  }),
  result: z.object({ agentId: AgentId, state: AgentState }),
});

// ---- operator side: agent.list / get / update / drain / remove --------------------------------

export const Tag = z.string().min(1).max(128);

export const AgentSummary = z.object({
  agentId: AgentId,
  state: AgentState,
  name: z.string().optional(),
  type: z.string().optional(),
  capabilities: z.array(Capability),
  capacity: z.number().int().nonnegative(),
  inFlight: z.number().int().nonnegative().describe('Tasks running on it now'),
  heartbeatAgeMs: z.number().int().nonnegative().describe('Time since its last heartbeat (or registration)'),
  routingScore: z.number().min(0).max(1).describe('Weighted score from its signals; 0.5 when it has sent none'),
  contextWindowId: ContextWindowId,
  spawned: z.boolean().describe('Started by this daemon (pool.spawn or the autoscaler)'),
  template: z.string().optional().describe('The template it was spawned from'),
  tags: z.array(z.string()),
  registeredAt: Timestamp,
});

export const AgentDetail = AgentSummary.extend({
  runningTasks: z.array(z.object({ taskId: z.string(), type: z.string(), epoch: z.number().int().min(1), startedAt: Timestamp })),
  signals: z
    .array(z.object({ signalType: SignalType, value: z.number(), score: Unit, ageMs: z.number().int().nonnegative() }))
    .describe('Latest live signal per type, with its current score'),
  overload: z.object({ willOverload: z.boolean(), predictedLoad: Unit, confidence: Unit }),
  breaker: z.object({ state: z.enum(['closed', 'open', 'half-open']), consecutiveFailures: z.number().int().nonnegative() }),
  completed: z.number().int().nonnegative().describe('Attempts it completed (this registration and earlier ones of the same id)'),
  failed: z.number().int().nonnegative().describe('Attempts that failed or timed out on it'),
  latencyMs: z.object({ mean: z.number().optional(), p95: z.number().optional() }).describe('Of its last 128 completed or failed attempts'),
});

export const agentList = defineMethod({
  name: 'agent.list',
  summary: 'Registered agents ordered by id, filtered and paged.',
  roles: ['operator', 'admin'],
  params: z
    .strictObject({
      state: AgentState.optional(),
      capability: Capability.optional().describe('Agents that have this capability'),
      template: z.string().min(1).max(128).optional().describe('Agents spawned from this template'),
      spawned: z.boolean().optional(),
      q: z.string().min(1).max(256).optional().describe('Text the agent id contains'),
      cursor: Cursor.optional(),
      limit: Limit.optional().describe('Default 100'),
    })
    .optional(),
  result: z.object({ agents: z.array(AgentSummary), nextCursor: Cursor.optional(), total: z.number().int().nonnegative().describe('Agents matching the filters') }),
});

export const agentGet = defineMethod({
  name: 'agent.get',
  summary: 'One registered agent in full: running tasks, signals, overload forecast, circuit breaker, counts and latency.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ agentId: AgentId }),
  result: AgentDetail,
});

export const agentUpdate = defineMethod({
  name: 'agent.update',
  summary: "Change an agent's capacity, capabilities or tags (what is not given stays). A lower capacity cuts no running task short.",
  roles: ['operator', 'admin'],
  params: z.strictObject({
    agentId: AgentId,
    capacity: z.number().int().min(0).max(10_000).optional().describe('0 stops new work like a drain, without the DRAINING state'),
    capabilities: z.array(Capability).max(256).optional(),
    tags: z.array(Tag).max(64).optional(),
  }),
  result: AgentSummary,
});

export const agentDrain = defineMethod({
  name: 'agent.drain',
  summary: 'Put an agent in DRAINING: it gets no new work and finishes what it runs. Lasts until it registers again.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ agentId: AgentId }),
  result: AgentSummary,
});

export const agentRemove = defineMethod({
  name: 'agent.remove',
  summary: 'Remove an agent: drain it and disconnect it once its tasks end (removed false until then), or with force requeue its tasks and disconnect now.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ agentId: AgentId, force: z.boolean().optional().describe('Default false') }),
  result: z.object({
    agentId: AgentId,
    removed: z.boolean().describe('Gone already (false: draining, it goes when its running tasks end)'),
    requeued: z.number().int().nonnegative().describe('Running tasks put back in the queue (force only)'),
  }),
});
