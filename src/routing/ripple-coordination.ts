import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/** Scores closer than this are a tie (routing scores are weighted sums, so float noise is expected). */
export const SCORE_TIE_EPSILON = 1e-12;

/**
 * Picks the candidate with the highest routing score from the coordination signals. Ties are
 * broken uniformly at random by reservoir sampling, in one pass and without allocating. A
 * non-finite score (a broken ScoreSource) is skipped; if every score is, select throws and the
 * router falls back.
 */
export class RippleCoordinationStrategy implements RoutingStrategy {
  readonly name = 'RIPPLE_COORDINATION' as const;

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    const { scores, random, now } = ctx;
    let chosen = -1;
    let chosenScore = 0;
    let best = Number.NEGATIVE_INFINITY;
    let ties = 0;
    for (let i = 0; i < candidates.length; i++) {
      const score = scores.routingScore(candidates[i]!.agentId, now);
      if (!Number.isFinite(score)) continue;
      if (score > best + SCORE_TIE_EPSILON) {
        best = score;
        chosen = i;
        chosenScore = score;
        ties = 1;
      } else if (score >= best - SCORE_TIE_EPSILON) {
        // Reservoir sampling: the k-th tied candidate replaces the pick with probability 1/k.
        ties++;
        if (random.next() * ties < 1) {
          chosen = i;
          chosenScore = score;
        }
      }
    }
    if (chosen < 0) throw new Error('RIPPLE_COORDINATION: no candidate has a finite routing score');
    return { agentId: candidates[chosen]!.agentId, score: chosenScore };
  }
}
