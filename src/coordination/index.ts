export { CoordinationService, DEFAULT_HORIZON_SECONDS, DEFAULT_LIST_LIMIT } from './coordination-service.js';
export type { AgentPage, CoordinationDeps, ListOptions, RecordResult } from './coordination-service.js';
export { DEFAULT_COORDINATION_OPTIONS, normaliseWeights } from './coordination-options.js';
export type { CoordinationOptions } from './coordination-options.js';
export type { SweepResult } from './sweeper.js';
export type { AgentCoordinationState, CoordinationStats, OverloadPrediction, StoredSignal } from './types.js';
export type { HistoryEntry } from './agent-history.js';
