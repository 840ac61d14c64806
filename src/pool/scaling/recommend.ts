import type { RecommendationRule } from '../../schemas/scaling.js';
import type { ScalingPolicy } from './scaling-policy.js';
import type { ScalingSnapshot } from './scaling-target.js';

/** |utilization / target − 1| at or below this keeps the current count (Kubernetes' default, 10%). */
export const SCALING_TOLERANCE = 0.1;
/** Absorbs float error so that e.g. 3 × 0.7 / 0.35 asks for 6 agents, not 7. */
const EPSILON = 1e-9;

/** How many agents to run and which rule said so. */
export interface Recommendation {
  /** Agents now. */
  current: number;
  /** Agents to run, after every rule including scale-down stabilization. */
  desired: number;
  /** Desired before stabilization: the value a caller remembers in its stabilization window. */
  proposed: number;
  /** Short human explanation. */
  reason: string;
  /** The rule that decided last. */
  rule: RecommendationRule;
  utilization: number;
  queueDepth: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const toCount = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/**
 * The Kubernetes HPA rule plus queue pressure, as a pure function.
 *
 * 1. utilization = usedCapacity / totalCapacity; desired = ceil(current × utilization / target),
 *    unless |utilization / target − 1| ≤ 0.1 (then current). No agents → 0; agents reporting no
 *    capacity → current (nothing to measure, so no scale-down on missing data, as HPA does).
 * 2. Queue pressure: with queued tasks, desired ≥ current + ceil(queueDepth / queueDepthPerAgent),
 *    which also scales up from zero.
 * 3. Clamp to [minAgents, maxAgents].
 * 4. Scale-down stabilization: a decrease goes no lower than the highest of `recentDesired`
 *    (the `proposed` values of the last scaleDownStabilizationS, which the caller keeps), so a
 *    brief dip removes nobody. Increases apply at once. maxAgents still wins.
 */
export function recommend(input: ScalingSnapshot, policy: ScalingPolicy, recentDesired: readonly number[] = []): Recommendation {
  const current = toCount(input.current);
  const queueDepth = toCount(input.queueDepth);
  const hasCapacity = input.totalCapacity > 0;
  const utilization = hasCapacity ? Math.max(0, input.usedCapacity) / input.totalCapacity : 0;
  const target = policy.targetUtilization;
  const u = utilization.toFixed(2);
  const t = target.toFixed(2);

  let desired: number;
  let rule: RecommendationRule;
  let reason: string;
  if (current === 0) {
    [desired, rule, reason] = [0, 'idle', 'no agents and no queued work'];
  } else if (!hasCapacity) {
    [desired, rule, reason] = [current, 'no_capacity', `agents report no capacity: keep ${current}`];
  } else {
    const ratio = utilization / target;
    if (Math.abs(ratio - 1) <= SCALING_TOLERANCE + EPSILON) {
      [desired, rule, reason] = [current, 'tolerance', `utilization ${u} within 10% of target ${t}: keep ${current}`];
    } else {
      desired = Math.ceil(current * ratio - EPSILON);
      rule = 'utilization';
      reason = `utilization ${u} ${ratio > 1 ? 'above' : 'below'} target ${t}: ${current} → ${desired}`;
    }
  }

  if (queueDepth > 0) {
    const floor = current + Math.ceil(queueDepth / policy.queueDepthPerAgent);
    if (floor > desired) {
      desired = floor;
      const queued = plural(queueDepth, 'queued task');
      if (current === 0) [rule, reason] = ['scale_from_zero', `no agents and ${queued}: start ${floor}`];
      else [rule, reason] = ['queue', `${queued} at ${policy.queueDepthPerAgent} per agent: ${current} → ${floor}`];
    }
  }

  if (desired < policy.minAgents) {
    [desired, rule, reason] = [policy.minAgents, 'min_agents', `${reason}; raised to minAgents ${policy.minAgents}`];
  } else if (desired > policy.maxAgents) {
    [desired, rule, reason] = [policy.maxAgents, 'max_agents', `${reason}; capped at maxAgents ${policy.maxAgents}`];
  }
  const proposed = desired;

  if (desired < current) {
    let highest = desired;
    for (const d of recentDesired) if (d > highest) highest = d;
    const held = Math.min(current, highest, policy.maxAgents);
    if (held > desired) {
      desired = held;
      rule = 'stabilization';
      reason = `${reason}; held at ${held} by the highest recommendation of the last ${policy.scaleDownStabilizationS} s (${highest})`;
    }
  }

  return { current, desired, proposed, reason, rule, utilization, queueDepth };
}
