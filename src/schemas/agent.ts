import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, AgentState } from './common.js';

export const Capability = z.string().min(1).max(128);
export const ContextWindowId = z.string().min(1).max(256);

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
  }),
  result: z.object({
    agentId: AgentId,
    contextWindowId: ContextWindowId,
    heartbeatIntervalMs: z.number().int().positive(),
    leaseTtlMs: z.number().int().positive().describe('Missing heartbeats for this long makes the agent DEGRADED'),
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
