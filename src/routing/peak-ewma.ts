import type { Candidate, SelectionContext } from './strategy.js';
import { orderable, TwoChoicesStrategy } from './two-choices.js';

/**
 * Peak-EWMA load balancing as Finagle and Linkerd do it: power of two choices where an agent's
 * cost is its peak-sensitive latency EWMA × (inFlight + 1). The EWMA (ObservedStats.peakLatencyMs)
 * jumps up at once on a slow sample, decays in faster ones over τ ≈ 10 s, counts a failure as a
 * penalty rather than as a fast answer, and starts at the default RTT for an unmeasured agent.
 */
export class PeakEwmaStrategy extends TwoChoicesStrategy {
  readonly name = 'PEAK_EWMA' as const;

  protected cost(candidate: Candidate, ctx: SelectionContext): number {
    return peakEwmaCost(candidate, ctx);
  }
}

/** Finagle's cost: expected latency if one more request joined the agent's queue. */
export function peakEwmaCost(c: Candidate, ctx: SelectionContext): number {
  return orderable(ctx.observed.peakLatencyMs(c.agentId, ctx.now) * (c.inFlight + 1));
}
