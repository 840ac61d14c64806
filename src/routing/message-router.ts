import type { StrategyName } from '../config.js';
import { AppError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { Random } from '../random.js';
import type { ResultOf } from '../schemas/method.js';
import type { routerSelect } from '../schemas/router.js';
import { RandomStrategy } from './random.js';
import { createStrategies } from './strategies.js';
import type { Candidate, RoutingStrategy, ScoreSource, SelectionContext, StrategyChoice, Observation } from './strategy.js';

/** What select returns: exactly the result of the router.select RPC method. */
export type SelectionResult = Readonly<ResultOf<typeof routerSelect>>;
/** Why a selection fell back to RANDOM. */
export type FallbackReason = NonNullable<SelectionResult['fallbackReason']>;

/** Passed to onSelection after every selection (it is the result object itself, not a copy). */
export interface SelectionEvent {
  readonly agentId: string;
  /** The strategy that actually chose (RANDOM on fallback). */
  readonly strategy: StrategyName;
  readonly fallback: boolean;
  readonly fallbackReason?: FallbackReason;
}

/** Collaborators of the MessageRouter. */
export interface MessageRouterDeps {
  /** The only source of randomness for every strategy and the fallback. */
  random: Random;
  /** Signal-derived scores (the coordination service). */
  scores: ScoreSource;
  log?: Log;
  /** Called after each selection, e.g. to update metrics. Errors it throws are logged, not propagated. */
  onSelection?: (event: SelectionEvent) => void;
  /** Replace built-in strategies by name (tests, experiments). The RANDOM fallback is always the built-in one. */
  strategies?: Partial<Record<StrategyName, RoutingStrategy>>;
}

export interface MessageRouterOptions {
  /**
   * Whether RIPPLE_COORDINATION may use signals; when false its requests fall back to RANDOM.
   * @defaultValue true (COORDINATION_ENABLE_REP)
   */
  enableRep: boolean;
  /**
   * Strategy used when select is called without one.
   * @defaultValue 'RIPPLE_COORDINATION' (COORDD_ROUTER_STRATEGY)
   */
  defaultStrategy: StrategyName;
}

export const DEFAULT_ROUTER_OPTIONS: Readonly<MessageRouterOptions> = {
  enableRep: true,
  defaultStrategy: 'RIPPLE_COORDINATION',
};

/** Counters since the router was created. */
export interface RouterStats {
  /** Selections by the strategy that actually chose (a fallback counts as RANDOM). */
  selections: Record<StrategyName, number>;
  fallbacks: number;
  fallbacksByReason: Record<FallbackReason, number>;
}

// Constant payloads so the repeated-fallback debug log allocates nothing.
const REP_DISABLED_LOG = { requested: 'RIPPLE_COORDINATION', fallbackReason: 'rep_disabled' } as const;
const NO_LIVE_SIGNALS_LOG = { requested: 'RIPPLE_COORDINATION', fallbackReason: 'no_live_signals' } as const;

/**
 * Chooses which agent gets a task or message, with the requested strategy or the default one.
 * RIPPLE_COORDINATION falls back to RANDOM when REP is disabled or no candidate has a live
 * signal; any strategy falls back to RANDOM when it throws. The hot path allocates only the
 * strategy's choice and the result.
 */
export class MessageRouter {
  private readonly options: Readonly<MessageRouterOptions>;
  private readonly strategies: Record<StrategyName, RoutingStrategy>;
  private readonly fallbackStrategy = new RandomStrategy();
  private readonly ctx: { random: SelectionContext['random']; scores: SelectionContext['scores']; now: number };
  private readonly log: Log;
  private readonly onSelection: ((event: SelectionEvent) => void) | undefined;
  private readonly selections: Record<StrategyName, number> = { ROUND_ROBIN: 0, RANDOM: 0, LEAST_LOADED: 0, RIPPLE_COORDINATION: 0 };
  private readonly fallbacksByReason: Record<FallbackReason, number> = { rep_disabled: 0, no_live_signals: 0, strategy_error: 0 };
  private fallbacks = 0;
  private observations = 0;
  /** The reason the previous RIPPLE_COORDINATION request fell back, so a streak is warned about once. */
  private rippleFallbackStreak: FallbackReason | undefined;

  constructor(deps: MessageRouterDeps, options: Partial<MessageRouterOptions> = {}) {
    this.options = { ...DEFAULT_ROUTER_OPTIONS, ...options };
    this.strategies = createStrategies();
    for (const [name, strategy] of Object.entries(deps.strategies ?? {}) as [StrategyName, RoutingStrategy | undefined][]) {
      if (strategy !== undefined) this.strategies[name] = strategy;
    }
    this.ctx = { random: deps.random, scores: deps.scores, now: 0 };
    const log = deps.log ?? silentLog;
    this.log = log.child?.({ component: 'router' }) ?? log;
    this.onSelection = deps.onSelection;
  }

  /** Choose one of the candidates; throws AppError('NO_CANDIDATES') when there are none. */
  select(candidates: readonly Candidate[], strategy: StrategyName = this.options.defaultStrategy): SelectionResult {
    if (candidates.length === 0) throw new AppError('NO_CANDIDATES', 'the candidate list is empty');
    // hasOwn, so a name like 'toString' cannot reach Object.prototype.
    if (!Object.hasOwn(this.strategies, strategy)) throw new TypeError(`Unknown routing strategy: ${String(strategy)}`);
    const impl = this.strategies[strategy];
    this.ctx.now = this.ctx.scores.now();
    const ripple = strategy === 'RIPPLE_COORDINATION';

    let reason: FallbackReason | undefined;
    let choice: StrategyChoice | undefined;
    if (ripple && !this.options.enableRep) {
      reason = 'rep_disabled';
    } else {
      try {
        if (ripple && !this.anyLiveSignal(candidates)) reason = 'no_live_signals';
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
   * Learn from a finished attempt (observed latency and outcome). The pool calls this for every
   * completed, failed, timed-out and lost attempt, in the daemon and in the simulation alike.
   */
  observe(observation: Observation): void {
    this.observations++;
    void observation;
  }

  /** Attempts observed so far. */
  get observed(): number {
    return this.observations;
  }

  /** A snapshot of the counters. */
  stats(): RouterStats {
    return { selections: { ...this.selections }, fallbacks: this.fallbacks, fallbacksByReason: { ...this.fallbacksByReason } };
  }

  /** Stops at the first candidate with a live signal. */
  private anyLiveSignal(candidates: readonly Candidate[]): boolean {
    const { scores, now } = this.ctx;
    for (let i = 0; i < candidates.length; i++) {
      if (scores.hasLiveSignal(candidates[i]!.agentId, now)) return true;
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

  private finish(agentId: string, strategy: StrategyName, score: number | undefined, fallbackReason: FallbackReason | undefined): SelectionResult {
    this.selections[strategy]++;
    // Every key is always present so results share one shape; undefined ones vanish in JSON.
    const result: SelectionResult = { agentId, strategy, score, fallback: fallbackReason !== undefined, fallbackReason };
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
