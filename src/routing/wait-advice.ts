import type { Candidate, WaitAdvice, WaitQuestion } from './strategy.js';

/** Settings of the hold decision (see RippleOptions.wait). */
export interface WaitOptions {
  /** Whether RIPPLE may hold a task for a busy agent at all. @defaultValue true */
  enabled: boolean;
  /**
   * Hold only when waiting is expected to finish the task in less than this share of the best
   * free agent's expected completion (estimates are noisy; a hold on a coin flip costs a slot).
   * @defaultValue 0.5
   */
  margin: number;
  /**
   * A task placed now is placed among the free agents priced within this factor of the best free
   * one (the selection then weighs load and signals among them as usual). @defaultValue 3
   */
  shortlist: number;
}

export const DEFAULT_WAIT_OPTIONS: Readonly<WaitOptions> = Object.freeze({ enabled: true, margin: 0.5, shortlist: 3 });

const NO_WAIT: WaitAdvice = Object.freeze({ wait: false, bestFreeMs: Number.NaN, waitMs: Number.POSITIVE_INFINITY });

/**
 * Place now or wait for a busy agent? The best free agent finishes the task in `bestFree` (its
 * expected completion). A busy agent b with in-flight count n_b and expected completion E_b
 * (the time a task spends on it once a slot has freed, i.e. at the load its tasks meet) frees a slot every E_b / n_b on
 * average (Little's law), so the busy agents better than every free one, taken cheapest first,
 * free slots at the rate R = Σ n_b / E_b. The task gets the (ahead + 1)-th of those slots and then
 * runs as long as a typical slot is held (Σ n_b / R), so waiting costs (ahead + 1 + Σ n_b) / R;
 * the prefix of busy agents that makes this smallest is the one waited for. Hold when that beats
 * `bestFree` by the margin.
 *
 * Placed now, the task is placed among the free agents priced within `shortlist` × the best free
 * one: a free agent of a slow tier is not chosen while a clearly faster one is free.
 *
 * Cold start: when a free agent has never been observed, the answer is "place now", so a newcomer
 * is tried (RIPPLE's selection prices it at the fleet's reference) rather than left idle because
 * nobody knows it is fast. Busy agents never observed are not waited for.
 * Cost: O(free + busy log busy).
 */
export function adviseWait(
  task: WaitQuestion,
  free: readonly Candidate[],
  busy: readonly Candidate[],
  ect: (c: Candidate) => number,
  /** A busy agent's expected completion for a task it gets once one of its slots frees. */
  busyEct: (c: Candidate) => number,
  seen: (agentId: string) => boolean,
  options: Readonly<WaitOptions>,
): WaitAdvice {
  if (!options.enabled) return NO_WAIT;
  let bestFree = Number.POSITIVE_INFINITY;
  const prices: number[] = [];
  for (const c of free) {
    if (!seen(c.agentId)) return NO_WAIT;
    const e = ect(c);
    prices.push(e);
    if (e < bestFree) bestFree = e;
  }
  const shortlist = Number.isFinite(bestFree) ? free.filter((_, i) => prices[i]! <= bestFree * options.shortlist) : undefined;
  const better: { e: number; n: number }[] = [];
  for (const c of busy) {
    if (!(c.inFlight > 0) || !seen(c.agentId)) continue;
    const e = busyEct(c);
    if (e > 0 && e < bestFree) better.push({ e, n: c.inFlight });
  }
  if (better.length === 0) return { wait: false, bestFreeMs: bestFree, waitMs: Number.POSITIVE_INFINITY, shortlist };
  better.sort((a, b) => a.e - b.e);
  let rate = 0;
  let held = 0;
  let waitMs = Number.POSITIVE_INFINITY;
  for (const b of better) {
    rate += b.n / b.e;
    held += b.n;
    const cost = (Math.max(0, task.ahead) + 1 + held) / rate;
    if (cost < waitMs) waitMs = cost;
  }
  const wait = waitMs < bestFree * options.margin;
  return wait ? { wait, bestFreeMs: bestFree, waitMs } : { wait, bestFreeMs: bestFree, waitMs, shortlist };
}
