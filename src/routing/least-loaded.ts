import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/**
 * A candidate's load: inFlight / capacity when capacity is known, otherwise inFlight itself
 * (an unknown capacity counts as one slot, so one task in flight means "full"). A known
 * capacity of 0 or less means the agent can take nothing: its load is +Infinity.
 */
export function candidateLoad(c: Candidate): number {
  const { capacity } = c;
  if (capacity === undefined) return c.inFlight;
  return capacity > 0 ? c.inFlight / capacity : Number.POSITIVE_INFINITY;
}

/** Picks the candidate with the lowest load; ties are broken uniformly at random in one pass. */
export class LeastLoadedStrategy implements RoutingStrategy {
  readonly name = 'LEAST_LOADED' as const;

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    let chosen = 0;
    let best = candidateLoad(candidates[0]!);
    let ties = 1;
    for (let i = 1; i < candidates.length; i++) {
      const load = candidateLoad(candidates[i]!);
      if (load < best || Number.isNaN(best)) {
        best = load;
        chosen = i;
        ties = 1;
      } else if (load === best) {
        // Reservoir sampling: the k-th tied candidate replaces the pick with probability 1/k.
        ties++;
        if (ctx.random.next() * ties < 1) chosen = i;
      }
    }
    return { agentId: candidates[chosen]!.agentId };
  }
}
