import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/**
 * Takes candidates in turn. The cursor is the position after the last pick, reduced modulo the
 * current length, so rotation carries on sensibly when the candidate list grows or shrinks and the
 * cursor never grows without bound.
 */
export class RoundRobinStrategy implements RoutingStrategy {
  readonly name = 'ROUND_ROBIN' as const;
  private cursor = 0;

  select(candidates: readonly Candidate[], _ctx: SelectionContext): StrategyChoice {
    const index = this.cursor % candidates.length;
    this.cursor = index + 1;
    return { agentId: candidates[index]!.agentId };
  }
}
