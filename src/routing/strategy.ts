import type { Random } from '../random.js';
import type { ObservedStatsView } from './observed-stats.js';

/** What the router knows about one agent it may choose. */
export interface Candidate {
  readonly agentId: string;
  /** Tasks the daemon has dispatched to the agent and not yet seen finish. */
  readonly inFlight: number;
  /** Maximum concurrent tasks, when known. */
  readonly capacity?: number;
}

/** The part of an overload prediction a strategy reads. */
export interface LoadForecastView {
  readonly willOverload: boolean;
  /** How much the prediction is worth, in [0, 1]. */
  readonly confidence: number;
  /** The forecast load in [0, 1] (with a 0 s horizon: the newest reported level), when the source tells it. */
  readonly predictedLoad?: number;
  /** Load samples behind the forecast, when the source tells it (0: no load reported). */
  readonly samples?: number;
}

/** The minimal view of the coordination service a strategy needs. */
export interface ScoreSource {
  /** The time scores are computed at; the router reads it once per decision. */
  now(): number;
  /** Weighted routing score in [0,1] at `now` (0.5 for an agent with no live signals). */
  routingScore(agentId: string, now: number): number;
  /** Whether the agent has at least one signal that has not expired at `now`. */
  hasLiveSignal(agentId: string, now: number): boolean;
  /**
   * The agent's load trend `horizonSeconds` ahead, from its own load signals. Optional: a source
   * without it simply gives RIPPLE_COORDINATION no overload term. Only asked about agents that
   * have a live signal.
   */
  forecastLoad?(agentId: string, horizonSeconds: number): LoadForecastView | undefined;
  /**
   * When the agent's newest signal was recorded (clock ms), undefined when none is held.
   * Optional: it lets RIPPLE_COORDINATION judge a signal's age against the typical task time,
   * not only against its TTL.
   */
  lastSignalAt?(agentId: string): number | undefined;
}

export interface SelectionContext {
  readonly random: Random;
  readonly scores: ScoreSource;
  /** What the daemon itself observed of each agent's finished attempts (latency, failures). */
  readonly observed: ObservedStatsView;
  /** The decision's time (read once from the score source, not once per candidate). */
  readonly now: number;
}

/** What a strategy may read when it learns from an observation (time is the observation's `at`). */
export interface ObservationContext {
  readonly scores: ScoreSource;
  /** Already updated with the observation being reported. */
  readonly observed: ObservedStatsView;
}

export interface StrategyChoice {
  readonly agentId: string;
  /** The routing score behind the choice, when the strategy uses one. */
  readonly score?: number;
}

/** How one attempt on an agent ended, as the daemon saw it. */
export type ObservedOutcome = 'completed' | 'failed' | 'timeout' | 'lost';

/** What the daemon observed about one finished attempt; the router learns from these. */
export interface Observation {
  readonly agentId: string;
  /** Time from dispatch to the outcome, milliseconds. */
  readonly latencyMs: number;
  readonly outcome: ObservedOutcome;
  /** When it ended (clock time, ms). */
  readonly at: number;
}

/** The task a strategy is asked to hold or place (adviseWait). */
export interface WaitQuestion {
  readonly taskId: string;
  /** Tasks queued ahead of it that wait for the same busy agents (they get the next slots first). */
  readonly ahead: number;
}

/** A strategy's answer to "place the task on a free agent now, or wait for a busy one?". */
export interface WaitAdvice {
  /** Whether waiting for a busy agent is expected to finish the task sooner than any free agent. */
  readonly wait: boolean;
  /** The best free candidate's expected completion, ms (the longest a task may be held for it). */
  readonly bestFreeMs: number;
  /** The expected completion when waiting for a busy agent, ms (+Infinity when none is worth it). */
  readonly waitMs: number;
  /**
   * When the task is placed now: the free candidates worth choosing among (the others are
   * clearly slower than the best free one); undefined to choose among all of them.
   */
  readonly shortlist?: readonly Candidate[];
}

/**
 * One way of choosing an agent. Candidates are never empty when select is called. The name is a
 * StrategyName for the built-in strategies; a simulation may register others (e.g. ORACLE).
 */
export interface RoutingStrategy {
  readonly name: string;
  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice;
  /**
   * Whether the task should rather wait for one of the busy agents (optional; strategies without
   * it are work-conserving). `free` is never empty when asked; `busy` may be.
   */
  adviseWait?(task: WaitQuestion, free: readonly Candidate[], busy: readonly Candidate[], ctx: SelectionContext): WaitAdvice;
  /** Learn from a finished attempt beyond what the shared ObservedStats keeps (optional). */
  observe?(observation: Observation, ctx: ObservationContext): void;
}
