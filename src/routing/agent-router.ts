import { DEFAULT_STRATEGY, STRATEGY_NAMES, type StrategyName } from '../schemas/common.js';
import { AppError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { Random } from '../random.js';
import type { ResultOf } from '../schemas/method.js';
import type { routerSelect } from '../schemas/router.js';
import { ObservedStats, type ObservedStatsOptions } from './observed-stats.js';
import { RandomStrategy } from './random.js';
import type { RippleOptions } from './ripple-options.js';
import { createStrategies } from './strategies.js';
import type {
  Candidate,
  Observation,
  ObservationContext,
  RoutingStrategy,
  ScoreSource,
  SelectionContext,
  StrategyChoice,
  WaitAdvice,
  WaitQuestion,
} from './strategy.js';

/** What select returns: exactly the result of the router.select RPC method. */
export type SelectionResult = Readonly<ResultOf<typeof routerSelect>>;
/** Why a selection fell back to RANDOM. */
export type FallbackReason = NonNullable<SelectionResult['fallbackReason']>;

/** Passed to onSelection after every selection (it is the result object itself, not a copy). */
export interface SelectionEvent {
  readonly agentId: string;
  /** The strategy that actually chose (RANDOM on fallback); a StrategyName unless an extra strategy chose. */
  readonly strategy: string;
  readonly fallback: boolean;
  readonly fallbackReason?: FallbackReason;
}

/** Collaborators of the AgentRouter. */
export interface AgentRouterDeps {
  /** The only source of randomness for every strategy and the fallback. */
  random: Random;
  /** Signal-derived scores (the coordination service). */
  scores: ScoreSource;
  log?: Log;
  /** Called after each selection, e.g. to update metrics. Errors it throws are logged, not propagated. */
  onSelection?: (event: SelectionEvent) => void;
  /**
   * Replace built-in strategies by name, or add strategies under other names (a simulation's
   * ORACLE); select() finds either by name. The RANDOM fallback is always the built-in one.
   * The daemon's edge (zod, config) still accepts StrategyName only.
   */
  strategies?: Readonly<Record<string, RoutingStrategy | undefined>>;
  /** The observed statistics to learn into (default: a new store of the router's own). */
  observed?: ObservedStats;
}

export interface AgentRouterOptions {
  /**
   * Whether RIPPLE_COORDINATION may use signals; when false its requests fall back to RANDOM.
   * @defaultValue true (COORDINATION_ENABLE_REP)
   */
  enableRep: boolean;
  /**
   * Strategy used when select is called without one: a StrategyName in the daemon, or the name of
   * an extra strategy from deps.strategies (checked at construction).
   * @defaultValue 'RIPPLE_COORDINATION' (COORDD_ROUTER_STRATEGY)
   */
  defaultStrategy: string;
  /** Settings of the observed statistics the router creates (ignored when deps.observed is given). @defaultValue DEFAULT_OBSERVED_STATS_OPTIONS */
  observation: Partial<ObservedStatsOptions>;
  /** Settings of RIPPLE_COORDINATION. @defaultValue DEFAULT_RIPPLE_OPTIONS */
  ripple: Partial<RippleOptions>;
}

export const DEFAULT_ROUTER_OPTIONS: Readonly<AgentRouterOptions> = {
  enableRep: true,
  defaultStrategy: DEFAULT_STRATEGY,
  observation: {},
  ripple: {},
};

/** Counters since the router was created. */
export interface RouterStats {
  /** Selections by the strategy that actually chose (a fallback counts as RANDOM). */
  selections: Record<StrategyName, number>;
  /** Selections by strategies registered under names outside StrategyName. */
  extraSelections: Record<string, number>;
  fallbacks: number;
  fallbacksByReason: Record<FallbackReason, number>;
}

/** How often tasks were held for a better agent and for how long. */
export interface HoldStats {
  /** Tasks held at least once. */
  tasksHeld: number;
  /** Holds that ended (the task was dispatched, cancelled or released by its bound). */
  ended: number;
  /** Sum of the ended holds' durations, ms. */
  totalMs: number;
  /** The longest ended hold, ms. */
  maxMs: number;
}

// Constant payloads so the repeated-fallback debug log allocates nothing.
const REP_DISABLED_LOG = { requested: 'RIPPLE_COORDINATION', fallbackReason: 'rep_disabled' } as const;
const NO_LIVE_SIGNALS_LOG = { requested: 'RIPPLE_COORDINATION', fallbackReason: 'no_live_signals' } as const;

/**
 * Chooses which agent gets a task or message, with the requested strategy or the default one,
 * and learns from every finished attempt (observe). RIPPLE_COORDINATION falls back to RANDOM when
 * REP is disabled or when no candidate has either a live signal or a recent observation (it has
 * nothing to go on); any strategy falls back to RANDOM when it throws. The hot path allocates
 * only the strategy's choice and the result.
 */
export class AgentRouter {
  /** What the router has observed of each agent; strategies read it through SelectionContext.observed. */
  readonly observedStats: ObservedStats;
  private readonly options: Readonly<AgentRouterOptions>;
  private readonly strategies: Record<string, RoutingStrategy>;
  private readonly fallbackStrategy = new RandomStrategy();
  private readonly ctx: { random: SelectionContext['random']; scores: ScoreSource; observed: ObservedStats; now: number };
  private readonly observationCtx: ObservationContext;
  private readonly log: Log;
  private readonly onSelection: ((event: SelectionEvent) => void) | undefined;
  private readonly selections = Object.fromEntries(STRATEGY_NAMES.map((name) => [name, 0])) as Record<StrategyName, number>;
  private readonly extraSelections: Record<string, number> = {};
  private readonly fallbacksByReason: Record<FallbackReason, number> = { rep_disabled: 0, no_live_signals: 0, strategy_error: 0 };
  private fallbacks = 0;
  private observations = 0;
  private readonly holds: HoldStats = { tasksHeld: 0, ended: 0, totalMs: 0, maxMs: 0 };
  /** The reason the previous RIPPLE_COORDINATION request fell back, so a streak is warned about once. */
  private rippleFallbackStreak: FallbackReason | undefined;

  constructor(deps: AgentRouterDeps, options: Partial<AgentRouterOptions> = {}) {
    this.options = { ...DEFAULT_ROUTER_OPTIONS, ...options };
    this.strategies = createStrategies({ ripple: this.options.ripple });
    for (const [name, strategy] of Object.entries(deps.strategies ?? {})) {
      if (strategy !== undefined) this.strategies[name] = strategy;
    }
    if (!Object.hasOwn(this.strategies, this.options.defaultStrategy)) {
      throw new TypeError(`Unknown default routing strategy: ${String(this.options.defaultStrategy)}`);
    }
    this.observedStats = deps.observed ?? new ObservedStats(this.options.observation);
    this.ctx = { random: deps.random, scores: deps.scores, observed: this.observedStats, now: 0 };
    this.observationCtx = { scores: deps.scores, observed: this.observedStats };
    const log = deps.log ?? silentLog;
    this.log = log.child?.({ component: 'router' }) ?? log;
    this.onSelection = deps.onSelection;
  }

  /**
   * Choose one of the candidates; throws AppError('NO_CANDIDATES') when there are none and a
   * TypeError for a name that is neither built in nor registered through deps.strategies.
   * `strategy` is a StrategyName everywhere in the daemon (the edge validates it); only a
   * simulation passes the name of an extra strategy, and then the result's `strategy` is that
   * name, outside the StrategyName the type promises.
   */
  select(candidates: readonly Candidate[], strategy: string = this.options.defaultStrategy): SelectionResult {
    if (candidates.length === 0) throw new AppError('NO_CANDIDATES', 'the candidate list is empty');
    // hasOwn, so a name like 'toString' cannot reach Object.prototype.
    if (!Object.hasOwn(this.strategies, strategy)) throw new TypeError(`Unknown routing strategy: ${String(strategy)}`);
    const impl = this.strategies[strategy]!;
    this.ctx.now = this.ctx.scores.now();
    const ripple = strategy === 'RIPPLE_COORDINATION';

    let reason: FallbackReason | undefined;
    let choice: StrategyChoice | undefined;
    if (ripple && !this.options.enableRep) {
      reason = 'rep_disabled';
    } else {
      try {
        if (ripple && !this.anyEvidence(candidates)) reason = 'no_live_signals';
        else choice = impl.select(candidates, this.ctx);
      } catch (err) {
        reason = 'strategy_error';
        this.log.warn({ err, strategy }, 'routing strategy failed; falling back to RANDOM');
      }
    }

    if (choice !== undefined) {
      if (ripple) this.rippleFallbackStreak = undefined;
      return this.finish(choice.agentId, strategy, choice.score, undefined);
    }
    this.noteFallback(reason!, ripple);
    return this.finish(this.fallbackStrategy.select(candidates, this.ctx).agentId, 'RANDOM', undefined, reason);
  }

  /**
   * Whether `task` should wait for one of the busy agents instead of taking a free slot now.
   * Undefined when the strategy is work-conserving (every built-in one but RIPPLE_COORDINATION),
   * when REP is disabled, when no agent is free, or when the strategy throws (logged): the
   * caller then places the task as usual. It only advises; the caller bounds every hold.
   */
  adviseWait(
    task: WaitQuestion,
    free: readonly Candidate[],
    busy: readonly Candidate[],
    strategy: string = this.options.defaultStrategy,
  ): WaitAdvice | undefined {
    if (free.length === 0 || !Object.hasOwn(this.strategies, strategy)) return undefined;
    const impl = this.strategies[strategy]!;
    if (impl.adviseWait === undefined) return undefined;
    if (strategy === 'RIPPLE_COORDINATION' && !this.options.enableRep) return undefined;
    this.ctx.now = this.ctx.scores.now();
    try {
      return impl.adviseWait(task, free, busy, this.ctx);
    } catch (err) {
      this.log.warn({ err, strategy }, 'routing strategy failed to advise on waiting; placing the task now');
      return undefined;
    }
  }

  /** The caller held a task for the first time on adviseWait's advice. */
  holdStarted(): void {
    this.holds.tasksHeld++;
  }

  /** A hold ended after `heldMs` (the task was dispatched, cancelled or let go by its bound). */
  holdEnded(heldMs: number): void {
    this.holds.ended++;
    this.holds.totalMs += heldMs;
    if (heldMs > this.holds.maxMs) this.holds.maxMs = heldMs;
  }

  /**
   * Learn from a finished attempt (observed latency and outcome). The pool calls this for every
   * completed, failed, timed-out and lost attempt, in the daemon and in the simulation alike.
   * Time is the observation's `at`. Never throws: a strategy whose learning fails is logged.
   */
  observe(observation: Observation): void {
    this.observations++;
    this.observedStats.record(observation);
    for (const name in this.strategies) {
      const strategy = this.strategies[name]!;
      if (strategy.observe === undefined) continue;
      try {
        strategy.observe(observation, this.observationCtx);
      } catch (err) {
        this.log.warn({ err, strategy: name }, 'routing strategy failed to learn from an observation');
      }
    }
  }

  /** Attempts observed so far. */
  get observationCount(): number {
    return this.observations;
  }

  /** A snapshot of the counters. */
  /** The strategy used when a call names none. */
  get defaultStrategy(): StrategyName {
    return this.options.defaultStrategy as StrategyName;
  }

  stats(): RouterStats {
    return {
      selections: { ...this.selections },
      extraSelections: { ...this.extraSelections },
      fallbacks: this.fallbacks,
      fallbacksByReason: { ...this.fallbacksByReason },
    };
  }

  /** Tasks held back for a busy agent (adviseWait said wait), and how long the ended holds lasted. */
  holdStats(): HoldStats {
    return { ...this.holds };
  }

  /** Whether RIPPLE has anything to go on: stops at the first candidate observed recently or with a live signal. */
  private anyEvidence(candidates: readonly Candidate[]): boolean {
    const { scores, observed, now } = this.ctx;
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[i]!.agentId;
      if (observed.has(id, now) || scores.hasLiveSignal(id, now)) return true;
    }
    return false;
  }

  private noteFallback(reason: FallbackReason, ripple: boolean): void {
    this.fallbacks++;
    this.fallbacksByReason[reason]++;
    // Warn when a streak starts (e.g. every signal expired); the repeats are only debug noise.
    const streakStarts = ripple && this.rippleFallbackStreak !== reason;
    if (ripple) this.rippleFallbackStreak = reason;
    if (reason === 'strategy_error') return; // already warned, with the error
    const payload = reason === 'rep_disabled' ? REP_DISABLED_LOG : NO_LIVE_SIGNALS_LOG;
    if (streakStarts) {
      this.log.warn(payload, 'RIPPLE_COORDINATION unavailable; falling back to RANDOM');
    } else {
      this.log.debug(payload, 'RIPPLE_COORDINATION unavailable; falling back to RANDOM');
    }
  }

  private finish(agentId: string, strategy: string, score: number | undefined, fallbackReason: FallbackReason | undefined): SelectionResult {
    if (Object.hasOwn(this.selections, strategy)) this.selections[strategy as StrategyName]++;
    else this.extraSelections[strategy] = (this.extraSelections[strategy] ?? 0) + 1;
    // Every key is always present so results share one shape; undefined ones vanish in JSON.
    // An extra strategy's name is reported as is (see select).
    const result = { agentId, strategy, score, fallback: fallbackReason !== undefined, fallbackReason } as SelectionResult;
    if (this.onSelection !== undefined) {
      try {
        this.onSelection(result);
      } catch (err) {
        this.log.error({ err }, 'onSelection listener failed');
      }
    }
    return result;
  }
}
