import type { Candidate, SelectionContext, StrategyChoice } from '../../src/routing/strategy.js';

/** True expected completion time (ms from now) of one more task on an agent, from the simulation's hidden model. */
export type TrueCompletion = (agentId: string, now: number) => number;

/**
 * ORACLE: a clairvoyant reference, not usable in the daemon. It reads every agent's true remaining
 * work and true service rate from the simulation and picks the candidate whose next task would
 * complete first (ties broken uniformly at random). It is greedy: it knows the present exactly,
 * not the future (arrivals, slowdowns, crashes), so it bounds what any router could do from
 * perfect knowledge of the present.
 *
 * It has the shape of a RoutingStrategy, under a name outside StrategyName; the bench hands it to
 * AgentRouter through deps.strategies.
 */
export class OracleStrategy {
  readonly name = 'ORACLE';

  constructor(private readonly truth: TrueCompletion) {}

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    let chosen = 0;
    let best = this.truth(candidates[0]!.agentId, ctx.now);
    let ties = 1;
    for (let i = 1; i < candidates.length; i++) {
      const t = this.truth(candidates[i]!.agentId, ctx.now);
      if (t < best) {
        best = t;
        chosen = i;
        ties = 1;
      } else if (t === best && ctx.random.next() * ++ties < 1) {
        chosen = i;
      }
    }
    return { agentId: candidates[chosen]!.agentId };
  }
}
