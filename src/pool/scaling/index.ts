export { AutoScaler, DEFAULT_HISTORY_LIMIT, DEFAULT_SCALING_INTERVAL_S, SCALING_HISTORY_SIZE } from './auto-scaler.js';
export type { AutoScalerDeps, ScalingEvent, ScalingExecution, ScalingStatus } from './auto-scaler.js';
export { recommend, SCALING_TOLERANCE, type Recommendation } from './recommend.js';
export { DEFAULT_SCALING_POLICY, resolvePolicy, ScalingPolicyError, type PolicyIssue, type ScalingPolicy, type ScalingPolicyPatch } from './scaling-policy.js';
export type { ScalingSnapshot, ScalingTarget } from './scaling-target.js';
