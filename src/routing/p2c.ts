import { candidateLoad } from './least-loaded.js';
import { sampleDistinct } from './sampling.js';
import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/**
 * Power of two choices on in-flight work, as Envoy's least_request with choice_count 2: two
 * distinct candidates drawn at random, the less loaded one wins (inFlight / capacity when the
 * capacity is known, see candidateLoad), a tie is a coin flip. Sampling instead of scanning keeps
 * it O(1) and stops many routers with the same view from all piling onto one agent.
 */
export class P2CStrategy implements RoutingStrategy {
  readonly name = 'P2C' as const;
  private readonly picks = new Int32Array(2);
  private readonly taken = new Int32Array(2);

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    if (candidates.length === 1) return { agentId: candidates[0]!.agentId };
    sampleDistinct(ctx.random, candidates.length, 2, this.picks, this.taken);
    const a = candidates[this.picks[0]!]!;
    const b = candidates[this.picks[1]!]!;
    const la = orderable(candidateLoad(a));
    const lb = orderable(candidateLoad(b));
    if (la < lb) return { agentId: a.agentId };
    if (lb < la) return { agentId: b.agentId };
    return { agentId: (ctx.random.next() < 0.5 ? a : b).agentId };
  }
}

/** NaN (a broken inFlight) orders last, like +Infinity. */
export function orderable(x: number): number {
  return Number.isNaN(x) ? Number.POSITIVE_INFINITY : x;
}
