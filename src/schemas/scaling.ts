import { z } from 'zod';
import { defineMethod } from './method.js';
import { Timestamp } from './common.js';

/** Upper bound on agent counts a policy may name; far above any real pool, it keeps arithmetic exact. */
export const MAX_POLICY_AGENTS = 100_000;
/** Longest cooldown or stabilization window a policy may set: one day. */
const MAX_POLICY_SECONDS = 86_400;

const policyFields = {
  minAgents: z.number().int().min(0).max(MAX_POLICY_AGENTS).describe('Never fewer agents than this; default 0'),
  maxAgents: z.number().int().min(1).max(MAX_POLICY_AGENTS).describe('Never more agents than this; default 16'),
  targetUtilization: z.number().gt(0).max(1).describe('Used / total capacity the scaler aims for, in (0,1]; default 0.7'),
  scaleUpCooldownS: z.number().min(0).max(MAX_POLICY_SECONDS).describe('Seconds after a scale-up before the next one; default 30'),
  scaleDownStabilizationS: z
    .number()
    .min(0)
    .max(MAX_POLICY_SECONDS)
    .describe('A scale-down goes no lower than the highest recommendation of this many past seconds; default 300'),
  template: z.string().min(1).max(128).describe('Agent template new agents are spawned from; default "echo"'),
  queueDepthPerAgent: z.number().int().min(1).max(1_000_000).describe('Queued tasks that justify one more agent; default 1'),
};

const minNotAboveMax = (p: { minAgents?: number; maxAgents?: number }): boolean =>
  p.minAgents === undefined || p.maxAgents === undefined || p.minAgents <= p.maxAgents;
const MIN_ABOVE_MAX = { message: 'minAgents must not exceed maxAgents', path: ['minAgents'] };

/** The whole auto-scaling policy (what policy.get returns and the AutoScaler runs on). */
export const ScalingPolicy = z.strictObject(policyFields).refine(minNotAboveMax, MIN_ABOVE_MAX);
export type ScalingPolicy = z.infer<typeof ScalingPolicy>;

/** A partial policy: the fields to change. Cross-field rules are checked again on the merged policy. */
export const ScalingPolicyPatch = z.strictObject(policyFields).partial().refine(minNotAboveMax, MIN_ABOVE_MAX);
export type ScalingPolicyPatch = z.infer<typeof ScalingPolicyPatch>;

export const SCALING_ACTIONS = ['scale_up', 'scale_down', 'none'] as const;
export const ScalingAction = z.enum(SCALING_ACTIONS);
export type ScalingAction = z.infer<typeof ScalingAction>;

/** Which rule decided a recommendation (machine-readable twin of `reason`). */
export const RECOMMENDATION_RULES = [
  'idle',
  'no_capacity',
  'tolerance',
  'utilization',
  'queue',
  'scale_from_zero',
  'min_agents',
  'max_agents',
  'stabilization',
] as const;
export const RecommendationRule = z.enum(RECOMMENDATION_RULES);
export type RecommendationRule = z.infer<typeof RecommendationRule>;

/** What decided an execution: the recommendation's rule, or why nothing was done. */
export const ExecutionRule = z.enum([...RECOMMENDATION_RULES, 'cooldown', 'busy']);
export type ExecutionRule = z.infer<typeof ExecutionRule>;

const Count = z.number().int().nonnegative();
const Utilization = z.number().nonnegative().describe('Used / total capacity (0 when there is no capacity; may exceed 1 if over-assigned)');

export const ScalingRecommendation = z.object({
  current: Count.describe('Agents in the pool now'),
  desired: Count.describe('Agents the scaler would run now, after every rule'),
  proposed: Count.describe('Desired before scale-down stabilization (what the window remembers)'),
  reason: z.string(),
  rule: RecommendationRule,
  utilization: Utilization,
  queueDepth: Count,
});

export const ScalingExecution = z.object({
  current: Count.describe('Agents before acting'),
  desired: Count,
  action: ScalingAction,
  changed: Count.describe('Agents actually started (scale_up) or stopped (scale_down)'),
  reason: z.string(),
  rule: ExecutionRule,
});

export const ScalingStatus = z.object({
  running: z.boolean(),
  intervalSeconds: z.number().positive().describe('Period of the timer-driven execute (the last one set when stopped)'),
});

export const ScalingEvent = z.object({
  at: Timestamp,
  from: Count,
  to: Count.describe('from ± changed: the count the action left'),
  desired: Count,
  action: ScalingAction,
  changed: Count,
  reason: z.string(),
  rule: ExecutionRule,
  utilization: Utilization,
  queueDepth: Count,
});

const SCALING_ROLES = ['operator', 'admin'] as const;

export const poolScalingPolicyGet = defineMethod({
  name: 'pool.scaling.policy.get',
  summary: 'The auto-scaling policy in force.',
  roles: SCALING_ROLES,
  params: z.strictObject({}),
  result: ScalingPolicy,
});

export const poolScalingPolicySet = defineMethod({
  name: 'pool.scaling.policy.set',
  summary: 'Change some fields of the auto-scaling policy; the merged policy is validated as a whole and returned.',
  roles: SCALING_ROLES,
  params: ScalingPolicyPatch,
  result: ScalingPolicy,
});

export const poolScalingRecommendation = defineMethod({
  name: 'pool.scaling.recommendation',
  summary: 'How many agents the scaler would run now and why (HPA rule plus queue pressure); changes nothing.',
  roles: SCALING_ROLES,
  params: z.strictObject({}),
  result: ScalingRecommendation,
});

export const poolScalingExecute = defineMethod({
  name: 'pool.scaling.execute',
  summary: 'Apply the recommendation once (respecting the scale-up cooldown); "busy" when an execution is already running.',
  roles: SCALING_ROLES,
  params: z.strictObject({}),
  result: ScalingExecution,
});

export const poolScalingStart = defineMethod({
  name: 'pool.scaling.start',
  summary: 'Execute the scaling policy every intervalSeconds (restarts the timer when the interval changes).',
  roles: SCALING_ROLES,
  params: z.strictObject({
    intervalSeconds: z.number().min(0.1).max(MAX_POLICY_SECONDS).optional().describe('Default: the last interval set, initially 15'),
  }),
  result: ScalingStatus,
});

export const poolScalingStop = defineMethod({
  name: 'pool.scaling.stop',
  summary: 'Stop the timer-driven scaling (an execution already running finishes).',
  roles: SCALING_ROLES,
  params: z.strictObject({}),
  result: ScalingStatus,
});

export const poolScalingHistory = defineMethod({
  name: 'pool.scaling.history',
  summary: 'Recent scaling decisions that acted or were held back, newest first (the last 200 are kept).',
  roles: SCALING_ROLES,
  params: z.strictObject({ limit: z.number().int().min(1).max(1000).optional().describe('Default 50') }),
  result: z.object({ events: z.array(ScalingEvent) }),
});

/** The scaling methods, in documentation order. */
export const SCALING_METHODS = [
  poolScalingPolicyGet,
  poolScalingPolicySet,
  poolScalingRecommendation,
  poolScalingExecute,
  poolScalingStart,
  poolScalingStop,
  poolScalingHistory,
] as const;
