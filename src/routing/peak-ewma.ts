import { orderable } from './p2c.js';
import { sampleDistinct } from './sampling.js';
import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/**
 * Peak-EWMA load balancing as Finagle and Linkerd do it: power of two choices where an agent's
 * cost is its peak-sensitive latency EWMA × (inFlight + 1). The EWMA (ObservedStats.peakLatencyMs)
 * jumps up at once on a slow sample, decays in faster ones over τ ≈ 10 s, counts a failure as a
 * penalty rather than as a fast answer, and starts at the default RTT for an unmeasured agent.
 */
export class PeakEwmaStrategy implements RoutingStrategy {
  readonly name = 'PEAK_EWMA' as const;
  private readonly picks = new Int32Array(2);
  private readonly taken = new Int32Array(2);

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    if (candidates.length === 1) return { agentId: candidates[0]!.agentId };
    sampleDistinct(ctx.random, candidates.length, 2, this.picks, this.taken);
    const a = candidates[this.picks[0]!]!;
    const b = candidates[this.picks[1]!]!;
    const ca = peakEwmaCost(a, ctx);
    const cb = peakEwmaCost(b, ctx);
    if (ca < cb) return { agentId: a.agentId };
    if (cb < ca) return { agentId: b.agentId };
    return { agentId: (ctx.random.next() < 0.5 ? a : b).agentId };
  }
}

/** Finagle's cost: expected latency if one more request joined the agent's queue. */
export function peakEwmaCost(c: Candidate, ctx: SelectionContext): number {
  return orderable(ctx.observed.peakLatencyMs(c.agentId, ctx.now) * (c.inFlight + 1));
}
