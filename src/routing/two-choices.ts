import { sampleDistinct } from './sampling.js';
import type { Candidate, RoutingStrategy, SelectionContext, StrategyChoice } from './strategy.js';

/** NaN (a broken input) orders last, like +Infinity. */
export function orderable(x: number): number {
  return Number.isNaN(x) ? Number.POSITIVE_INFINITY : x;
}

/**
 * The power of two choices: two distinct candidates drawn at random, the cheaper one wins, a tie
 * is a coin flip. Subclasses say what "cost" means. Sampling instead of scanning keeps it O(1)
 * and stops many routers with the same view from all piling onto one agent.
 */
export abstract class TwoChoicesStrategy implements RoutingStrategy {
  abstract readonly name: string;
  private readonly picks = new Int32Array(2);
  private readonly taken = new Int32Array(2);

  /** Lower is better; NaN counts as worst. */
  protected abstract cost(candidate: Candidate, ctx: SelectionContext): number;

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    if (candidates.length === 1) return { agentId: candidates[0]!.agentId };
    sampleDistinct(ctx.random, candidates.length, 2, this.picks, this.taken);
    const a = candidates[this.picks[0]!]!;
    const b = candidates[this.picks[1]!]!;
    const ca = orderable(this.cost(a, ctx));
    const cb = orderable(this.cost(b, ctx));
    if (ca < cb) return { agentId: a.agentId };
    if (cb < ca) return { agentId: b.agentId };
    return { agentId: (ctx.random.next() < 0.5 ? a : b).agentId };
  }
}
