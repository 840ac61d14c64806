import { ScalingPolicy, type ScalingPolicyPatch } from '../../schemas/scaling.js';

export type { ScalingPolicy, ScalingPolicyPatch };

/** The policy an AutoScaler starts from when given none. */
export const DEFAULT_SCALING_POLICY: Readonly<ScalingPolicy> = Object.freeze({
  minAgents: 0,
  maxAgents: 16,
  targetUtilization: 0.7,
  scaleUpCooldownS: 30,
  scaleDownStabilizationS: 300,
  template: 'echo',
  queueDepthPerAgent: 1,
});

/** One reason a policy was refused, shaped like the `issues` of an Invalid params reply. */
export interface PolicyIssue {
  path: string;
  message: string;
}

/**
 * A policy that breaks a rule (minAgents > maxAgents, a target outside (0,1]…). A RangeError so
 * callers that only know the built-ins still see a bad argument; the api layer maps it to -32602
 * with `data: {paths, issues}`, paths relative to the policy (the params of policy.set).
 */
export class ScalingPolicyError extends RangeError {
  constructor(readonly issues: readonly PolicyIssue[]) {
    super(`invalid scaling policy: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ScalingPolicyError';
  }

  /** Distinct offending field paths. */
  get paths(): string[] {
    return [...new Set(this.issues.map((i) => i.path))];
  }
}

/**
 * Merge a patch over a base policy and validate the result as a whole with the wire schema;
 * throws ScalingPolicyError listing every broken rule. Fields set to undefined keep the base value.
 */
export function resolvePolicy(base: Readonly<ScalingPolicy>, patch: Partial<ScalingPolicy> = {}): ScalingPolicy {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value;
  const parsed = ScalingPolicy.safeParse(merged);
  if (!parsed.success) {
    throw new ScalingPolicyError(
      parsed.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: key, message: 'unknown field' }))
          : [{ path: issue.path.map(String).join('.') || 'policy', message: issue.message }],
      ),
    );
  }
  return parsed.data;
}
