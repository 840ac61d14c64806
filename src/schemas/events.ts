import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, AgentState, Timestamp } from './common.js';
import { AgentSummary } from './agent.js';
import { poolStatus } from './pool.js';
import { ActiveAlert } from './alerts.js';
import { TaskId, TaskState } from './task.js';

export const EVENT_TYPES = ['agent.joined', 'agent.left', 'agent.state', 'task.created', 'task.state', 'alert.raised', 'alert.cleared'] as const;
export const EventType = z.enum(EVENT_TYPES);

export const SubscriptionId = z.string().min(1).max(64);

/** What task.created and task.state carry (no payload or result: task.get has those). */
export const TaskEventData = z.object({
  taskId: TaskId,
  type: z.string(),
  state: TaskState,
  previous: TaskState.optional().describe('task.state only'),
  agentId: AgentId.optional(),
  priority: z.number().int(),
  attempt: z.number().int().nonnegative().describe('Attempts so far'),
  epoch: z.number().int().nonnegative(),
  createdAt: Timestamp,
  traceId: z.string(),
  idempotencyKey: z.string().optional(),
  error: z.object({ code: z.number().int(), message: z.string() }).optional(),
});

export const eventsSubscribe = defineMethod({
  name: 'events.subscribe',
  summary:
    'Subscribe this connection to pool events (events.event notifications), filtered; returns a snapshot that is exactly the state before the first event (seq).',
  roles: ['operator', 'admin'],
  params: z
    .strictObject({
      types: z.array(EventType).min(1).max(EVENT_TYPES.length).optional().describe('Default: every type'),
      agentId: AgentId.optional().describe("Agent and task events of this agent only (alerts still pass)"),
      taskType: z.string().min(1).max(128).optional().describe('Task events of this task type only (agent and alert events still pass)'),
    })
    .optional(),
  result: z.object({
    subscriptionId: SubscriptionId,
    seq: z.number().int().nonnegative().describe('The snapshot is as of this seq; the first event has seq + 1'),
    snapshot: z.object({
      agents: z.array(AgentSummary).describe('Every registered agent (filtered by agentId when given)'),
      pool: poolStatus.result,
      alerts: z.array(ActiveAlert),
    }),
  }),
});

export const eventsUnsubscribe = defineMethod({
  name: 'events.unsubscribe',
  summary: 'End one of this connection\'s event subscriptions (closing the connection ends them all).',
  roles: ['operator', 'admin'],
  params: z.strictObject({ subscriptionId: SubscriptionId }),
  result: z.object({ ok: z.literal(true) }),
});

/** The daemon → client notification `events.event` (documented; not a callable method). */
export const EventNotification = z.object({
  subscriptionId: SubscriptionId,
  seq: z.number().int().min(1).describe('1, 2, 3… per subscription, no gaps'),
  type: EventType,
  at: Timestamp,
  data: z
    .union([AgentSummary.extend({ previous: AgentState.optional() }), z.object({ agentId: AgentId, reason: z.string() }), TaskEventData, ActiveAlert.passthrough()])
    .describe('agent.joined / agent.state: AgentSummary (agent.state adds previous); agent.left: {agentId, reason}; task.*: TaskEventData; alert.*: the alert'),
});
