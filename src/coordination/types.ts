import type { z } from 'zod';
import type {
  AgentCoordinationState as AgentCoordinationStateSchema,
  CoordinationMetrics as CoordinationMetricsSchema,
  OverloadPrediction as OverloadPredictionSchema,
  StoredSignal as StoredSignalSchema,
} from '../schemas/coordination.js';

/** A recorded signal as the service keeps and reports it. */
export type StoredSignal = z.infer<typeof StoredSignalSchema>;
/** Result of coordination.predictOverload. */
export type OverloadPrediction = z.infer<typeof OverloadPredictionSchema>;
/** Result of coordination.state for one agent. */
export type AgentCoordinationState = z.infer<typeof AgentCoordinationStateSchema>;
/** The part of coordination.metrics the coordination service owns (the rest is routing's and the RPC layer's). */
export type CoordinationStats = Pick<z.infer<typeof CoordinationMetricsSchema>, 'signals' | 'agentsTracked' | 'predictions' | 'sweeps'>;
