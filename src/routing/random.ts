import { randomInt } from '../random.js';
import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/** Picks a candidate uniformly at random from ctx.random. Also the router's fallback. */
export class RandomStrategy implements RoutingStrategy {
  readonly name = 'RANDOM' as const;

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    // min() guards a Random that breaks its [0, 1) contract by returning 1.
    const index = Math.min(randomInt(ctx.random, candidates.length), candidates.length - 1);
    return { agentId: candidates[index]!.agentId };
  }
}
