import { z } from 'zod';

/** Router strategies known to the daemon (shared vocabulary: schemas, config and client use it). */
export const STRATEGY_NAMES = ['ROUND_ROBIN', 'RANDOM', 'LEAST_LOADED', 'P2C', 'PEAK_EWMA', 'RIPPLE_COORDINATION'] as const;
export const StrategyName = z.enum(STRATEGY_NAMES);
export type StrategyName = z.infer<typeof StrategyName>;
/** The strategy for tasks, messages and router.select calls that name none (COORDD_ROUTER_STRATEGY). */
export const DEFAULT_STRATEGY: StrategyName = 'RIPPLE_COORDINATION';

export const SIGNAL_TYPES = ['load', 'capacity', 'quality', 'cost', 'latency', 'availability'] as const;
export const SignalType = z.enum(SIGNAL_TYPES);
export type SignalType = z.infer<typeof SignalType>;

/** Signal types where a higher value is worse. */
export const INVERTED_SIGNALS: ReadonlySet<SignalType> = new Set(['load', 'cost', 'latency']);

/** Weight of each signal type in the routing score; any non-negative values, normalised to sum to 1 where used. */
export type SignalWeights = Readonly<Record<SignalType, number>>;

/** The routing weights before normalisation (ROUTING_WEIGHT_*); they sum to 1.15. */
export const DEFAULT_SIGNAL_WEIGHTS: SignalWeights = Object.freeze({ load: 0.25, capacity: 0.25, quality: 0.2, cost: 0.15, availability: 0.15, latency: 0.15 });

export const AGENT_STATES = ['IDLE', 'ANALYZING', 'EXECUTING', 'DEGRADED', 'DRAINING'] as const;
export const AgentState = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentState>;

export const AgentId = z.string().min(1).max(256).describe('Agent identifier');
export const Unit = z.number().min(0).max(1);
export const TraceId = z.string().min(1).max(128);
export const Cursor = z.string().max(512).describe('Opaque paging cursor from a previous reply');
export const Limit = z.number().int().min(1).max(1000);
export const Timestamp = z.number().int().nonnegative().describe('Milliseconds since the Unix epoch');
