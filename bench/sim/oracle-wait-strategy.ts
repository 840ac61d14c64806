import type { Candidate, SelectionContext, StrategyChoice, WaitAdvice, WaitQuestion } from '../../src/routing/strategy.js';

/** What the waiting ORACLE may read of the simulation's hidden truth. */
export interface WaitTruth {
  /** A task's true work (reference ms), or undefined when the simulation does not know the id. */
  workOf(taskId: string): number | undefined;
  /** The work of the task being submitted right now (pool.assign asks before the id is known to the simulation), else the mean work. */
  submitting(): number;
  /** The mean task work (reference ms): what ORACLE_WAIT_BLIND assumes of every task. */
  meanWork(): number;
  /** When a task of `work` sent to the agent at `from` (>= now) would complete, ms from now. */
  completionOf(agentId: string, work: number, now: number, from?: number): number;
  /** When each task the agent holds will be answered, ascending (clock ms). */
  slotFreeTimes(agentId: string, now: number): readonly number[];
}

/**
 * ORACLE_WAIT: a clairvoyant reference that may also wait. It knows every task's true work and every
 * agent's exact remaining work and speed, so it knows when every busy agent's slots free and when
 * this task would finish on any agent, free or busy. It chooses the earliest completion among them
 * all: a free agent now, or a busy one once a slot frees (the tasks held ahead of it take the
 * earlier slots). When a busy agent wins it answers "wait", and the pool holds the task within the
 * same bounds as RIPPLE's. It is greedy: it knows the present exactly, not future arrivals.
 *
 * ORACLE_WAIT_BLIND (`blind`): the same, but blind to the task's own size, like any real router: it
 * still knows every agent's speed and exactly when each busy slot frees (more than RIPPLE can learn),
 * and prices every task at the mean work. With `margin` < 1 it holds only when waiting beats the best
 * free agent by that factor (a less selfish rule; `BENCH_BLIND_MARGIN` sweeps it). It shows what a
 * rule without task sizes can reach at best in a scenario.
 *
 * Bench only, under a name outside StrategyName (see strategies.ts).
 */
export class OracleWaitStrategy {
  readonly name: string;
  /** The task the last adviseWait was about: the pool asks select for the same task right after. */
  private current: string | undefined;

  constructor(
    private readonly truth: WaitTruth,
    private readonly options: { blind?: boolean; margin?: number } = {},
  ) {
    this.name = options.blind ? 'ORACLE_WAIT_BLIND' : 'ORACLE_WAIT';
  }

  adviseWait(task: WaitQuestion, free: readonly Candidate[], busy: readonly Candidate[], ctx: SelectionContext): WaitAdvice {
    const work = this.work(task.taskId);
    let bestFree = Number.POSITIVE_INFINITY;
    for (const c of free) bestFree = Math.min(bestFree, this.truth.completionOf(c.agentId, work, ctx.now));
    // Slots that free on busy agents, in time order; the tasks held ahead take the first ones.
    const slots: { at: number; agentId: string }[] = [];
    for (const c of busy) for (const at of this.truth.slotFreeTimes(c.agentId, ctx.now)) slots.push({ at, agentId: c.agentId });
    slots.sort((a, b) => a.at - b.at);
    let waitMs = Number.POSITIVE_INFINITY;
    for (let i = Math.max(0, task.ahead); i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.at - ctx.now >= Math.min(waitMs, bestFree)) break;
      waitMs = Math.min(waitMs, this.truth.completionOf(slot.agentId, work, ctx.now, slot.at));
    }
    const wait = waitMs < bestFree * (this.options.margin ?? 1);
    // select() follows for this task only when the answer is "place now".
    this.current = wait ? undefined : task.taskId;
    return { wait, bestFreeMs: bestFree, waitMs };
  }

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    const work = this.work(this.current);
    this.current = undefined;
    let chosen = 0;
    let best = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (let i = 0; i < candidates.length; i++) {
      const t = this.truth.completionOf(candidates[i]!.agentId, work, ctx.now);
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

  private work(taskId: string | undefined): number {
    if (this.options.blind) return this.truth.meanWork();
    return (taskId === undefined ? undefined : this.truth.workOf(taskId)) ?? this.truth.submitting();
  }
}
