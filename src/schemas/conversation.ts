import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, Limit, Timestamp, Unit } from './common.js';
import { StrategyName } from './common.js';
import { boundedJson } from './json-value.js';

export const ConversationId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:@/-]+$/, 'letters, digits and _ . : @ / - only')
  .describe('Conversation identifier (client-chosen or assigned by the daemon)');
const Capability = z.string().min(1).max(128);
/** Any JSON value: the daemon relays it and never interprets it (intent rules read its text). */
const Message = boundedJson().refine((v) => v !== undefined, 'required').describe('Any JSON value; strings and {text} objects are matched by intent rules');

export const HistoryEntry = z.object({
  role: z.enum(['user', 'agent']),
  agentId: AgentId.optional(),
  message: z.unknown(),
  timestamp: Timestamp,
});

const AttemptOutcome = z.enum(['ok', 'timeout', 'error', 'disconnected']);
export const RouteAttempt = z.object({
  agentId: AgentId,
  outcome: AttemptOutcome,
  durationMs: z.number().min(0),
  error: z.object({ code: z.number().int(), message: z.string() }).optional().describe("The agent's JSON-RPC error, for outcome 'error'"),
});

export const DecidedBy = z.enum(['supervisor', 'intent_rule', 'strategy']);

export const routerRoute = defineMethod({
  name: 'router.route',
  summary: 'Route a message to the right agent (supervisor, then intent rules, then the router strategy), relaying conversation history, with fallback.',
  roles: ['operator', 'admin'],
  params: z.strictObject({
    message: Message,
    conversationId: ConversationId.optional().describe('Continue this conversation (created when unknown); default: a new one'),
    requiredCapabilities: z.array(Capability).max(64).optional().describe('Only agents declaring every one of these'),
    intent: z.string().min(1).max(1024).optional().describe('A hint matched by the intent rules before the message text'),
    strategy: StrategyName.optional().describe('Router strategy among matching agents; default COORDD_ROUTER_STRATEGY'),
    timeoutMs: z.number().int().min(1).max(3_600_000).optional().describe("Per attempt; default routing.deliverTimeoutSeconds"),
  }),
  result: z.object({
    conversationId: ConversationId,
    agentId: AgentId.describe('The agent whose response this is'),
    response: z.unknown(),
    attempts: z.array(RouteAttempt).describe('Every agent tried, in order; the last one answered'),
    decidedBy: DecidedBy.describe('How the first agent was chosen'),
    capability: Capability.optional().describe('The capability the matching intent rule pointed to (decidedBy intent_rule)'),
  }),
});

export const conversationGet = defineMethod({
  name: 'conversation.get',
  summary: 'One conversation with its stored messages.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ conversationId: ConversationId }),
  result: z.object({
    conversationId: ConversationId,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    messageCount: z.number().int().describe('Including messages dropped beyond conversations.maxMessages'),
    droppedMessages: z.number().int(),
    agents: z.array(AgentId),
    messages: z.array(HistoryEntry),
  }),
});

const ConversationSummary = z.object({
  conversationId: ConversationId,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  messageCount: z.number().int(),
  agents: z.array(AgentId),
});

export const conversationList = defineMethod({
  name: 'conversation.list',
  summary: 'Live conversations, most recently active first.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ limit: Limit.optional().describe('Default 100'), agentId: AgentId.optional().describe('Only conversations this agent took part in') }),
  result: z.object({ conversations: z.array(ConversationSummary), total: z.number().int() }),
});

export const conversationClose = defineMethod({
  name: 'conversation.close',
  summary: 'End a conversation and drop its history.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ conversationId: ConversationId }),
  result: ConversationSummary,
});

/** Daemon → supervisor agent: which candidate should get this message? */
export const RouteDecideParams = z.object({
  message: z.unknown(),
  conversationId: ConversationId,
  intent: z.string().optional(),
  candidates: z.array(z.object({ agentId: AgentId, capabilities: z.array(Capability), routingScore: Unit })),
});
export type RouteDecideParams = z.infer<typeof RouteDecideParams>;

/** The supervisor's answer; anything else (or a late answer) falls back to the rules. */
export const RouteDecideResult = z.object({ agentId: AgentId, reason: z.string().max(1024).optional() });

/** Daemon → agent: the message to answer, with the conversation so far (oldest first). */
export const MessageDeliverParams = z.object({
  conversationId: ConversationId,
  message: z.unknown(),
  history: z.array(HistoryEntry),
  attempt: z.number().int().min(1),
});
export type MessageDeliverParams = z.infer<typeof MessageDeliverParams>;
