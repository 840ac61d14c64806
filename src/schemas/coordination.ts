import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, Cursor, Limit, SignalType, Timestamp, TraceId, Unit } from './common.js';
import { STRATEGY_NAMES } from './common.js';

/** One sensitivity signal as a client sends it. */
export const SignalInput = z.strictObject({
  agentId: AgentId,
  signalType: SignalType,
  value: Unit.describe('Signal value in [0,1]; for load, cost and latency higher is worse'),
  ttlSeconds: z.number().positive().max(31_536_000).optional().describe('Lifetime; default COORDINATION_SIGNAL_TTL'),
  confidence: Unit.optional().describe('How much the sender trusts the value; default 1'),
  traceId: TraceId.optional(),
});
export type SignalInput = z.infer<typeof SignalInput>;

export const SignalBatchInput = z.strictObject({
  signals: z
    .array(z.unknown().describe('A signal object as in the single form; a bad entry is rejected alone'))
    .min(1)
    .describe('Up to COORDD_MAX_BATCH signals'),
  traceId: TraceId.optional(),
});

export const SignalRejection = z.object({
  index: z.number().int().nonnegative(),
  code: z.number().int(),
  message: z.string(),
  paths: z.array(z.string()),
});

export const SingleSignalResult = z.object({
  signalId: z.uuid(),
  agentId: AgentId,
  routingScore: Unit,
});
export const BatchSignalResult = z.object({
  accepted: z.number().int().nonnegative(),
  signalIds: z.array(z.uuid()),
  rejected: z.array(SignalRejection),
});

export const coordinationSignal = defineMethod({
  name: 'coordination.signal',
  summary: 'Record one sensitivity signal, or a batch of them ({signals: [...]}).',
  roles: ['agent', 'operator', 'admin'],
  notification: true,
  params: z.union([SignalInput, SignalBatchInput]),
  result: z.union([SingleSignalResult, BatchSignalResult]),
});

export const StoredSignal = z.object({
  signalId: z.string(),
  signalType: SignalType,
  value: Unit,
  confidence: Unit,
  timestamp: Timestamp,
  expiresAt: Timestamp,
  traceId: TraceId.optional(),
});

export const DimensionScores = z.record(SignalType, Unit);

export const OverloadPrediction = z.object({
  willOverload: z.boolean(),
  predictedLoad: Unit,
  confidence: Unit,
  samples: z.number().int().nonnegative().describe('Live load signals the agent has reported'),
  horizonSeconds: z.number().positive(),
  basis: z
    .enum(['pool', 'signals'])
    .describe("'pool': the daemon's own forecast from its queue, arrivals and throughput (an agent registered with it); 'signals': the trend of the agent's load reports"),
});

export const CircuitBreakerView = z.object({
  state: z.enum(['closed', 'open', 'half_open']),
  consecutiveFailures: z.number().int().nonnegative(),
  openedAt: Timestamp.optional(),
});

export const AgentCoordinationState = z.object({
  agentId: AgentId,
  signals: z.array(StoredSignal).describe('Latest live signal per type'),
  scores: DimensionScores.describe('Per-dimension score in [0,1], higher is better; 0.5 when missing or expired'),
  routingScore: Unit,
  lastUpdated: Timestamp,
  overload: OverloadPrediction,
  circuitBreaker: CircuitBreakerView.optional().describe("The agent's circuit breaker (message routing and task assignment)"),
});

export const coordinationState = defineMethod({
  name: 'coordination.state',
  summary: "One agent's aggregated signals and scores ({agentId}), or all agents, paged.",
  roles: ['agent', 'operator', 'admin'],
  params: z.union([
    z.strictObject({ agentId: AgentId }),
    z.strictObject({ cursor: Cursor.optional(), limit: Limit.optional() }),
  ]),
  result: z.union([
    AgentCoordinationState,
    z.object({
      agents: z.array(AgentCoordinationState),
      nextCursor: Cursor.optional(),
      total: z.number().int(),
      circuitBreakers: z
        .array(CircuitBreakerView.extend({ agentId: AgentId }))
        .optional()
        .describe('Every breaker that is not closed or has failures counted, signals or not'),
    }),
  ]),
});

const Percentiles = z.object({ p50: z.number(), p95: z.number(), p99: z.number() });
const ByType = z.record(SignalType, z.number().int().nonnegative());

export const CoordinationMetrics = z.object({
  signals: z.object({ accepted: ByType, rejected: ByType, expired: ByType, rejectedUntyped: z.number().int() }),
  agentsTracked: z.number().int().nonnegative(),
  defaultStrategy: z.enum(STRATEGY_NAMES).describe('The strategy used when a call names none (COORDD_ROUTER_STRATEGY)'),
  selections: z.record(z.enum(STRATEGY_NAMES), z.number().int().nonnegative()),
  fallbacks: z.number().int().nonnegative(),
  predictions: z.object({ total: z.number().int(), overloadPredicted: z.number().int() }),
  sweeps: z.object({ runs: z.number().int(), lastDurationMs: z.number(), lastRemovedSignals: z.number().int() }),
  signalHandlingMs: Percentiles.describe('Server-side handling time of coordination.signal calls, milliseconds'),
  holds: z
    .object({
      tasksHeld: z.number().int().nonnegative().describe('Tasks held back at least once for a busy agent expected to finish them sooner'),
      ended: z.number().int().nonnegative().describe('Holds that ended (dispatched, cancelled, or released by their bound)'),
      meanMs: z.number().nonnegative().describe('Mean duration of the ended holds, ms (0 when none)'),
      maxMs: z.number().nonnegative().describe('Longest ended hold, ms'),
    })
    .describe("RIPPLE_COORDINATION's waits for a better agent"),
});

export const coordinationMetrics = defineMethod({
  name: 'coordination.metrics',
  summary: 'Counters and latency percentiles of the coordination service.',
  roles: ['agent', 'operator', 'admin'],
  params: z.strictObject({}).optional(),
  result: CoordinationMetrics,
});

export const coordinationPredictOverload = defineMethod({
  name: 'coordination.predictOverload',
  summary: "Predict an agent's load `horizonSeconds` ahead: from the daemon's own queue and throughput for an agent registered with it, else from its recent load reports.",
  roles: ['agent', 'operator', 'admin'],
  params: z.strictObject({
    agentId: AgentId,
    horizonSeconds: z.number().positive().max(86_400).optional().describe('Default 5'),
    basis: z
      .enum(['auto', 'signals'])
      .optional()
      .describe("'auto' (default): the pool's forecast for an agent registered with this daemon, else the load reports' trend; 'signals': the load reports' trend only (e.g. for an agent that also takes work elsewhere)"),
  }),
  result: OverloadPrediction,
});
