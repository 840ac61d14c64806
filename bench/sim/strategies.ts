import type { StrategyName } from '../../src/schemas/common.js';
import type { Random } from '../../src/random.js';
import { AgentRouter, type AgentRouterDeps, type AgentRouterOptions } from '../../src/routing/agent-router.js';
import type { RippleOptions } from '../../src/routing/ripple-options.js';
import type { Candidate, RoutingStrategy, ScoreSource } from '../../src/routing/strategy.js';
import { OracleStrategy, type TrueCompletion } from './oracle-strategy.js';
import { OracleWaitStrategy, type WaitTruth } from './oracle-wait-strategy.js';

/**
 * Every strategy the bench compares, in table order. Names the daemon does not know yet are
 * reported as "skipped: not available" at run time (see availableStrategies), not a crash.
 */
export const STRATEGIES = [
  'ROUND_ROBIN',
  'RANDOM',
  'LEAST_LOADED',
  'P2C',
  'PEAK_EWMA',
  'RIPPLE_COORDINATION',
  'ORACLE',
  'ORACLE_WAIT',
  'ORACLE_WAIT_BLIND',
] as const;
export type BenchStrategy = (typeof STRATEGIES)[number];

/** The classic baselines RIPPLE is measured against (not the ORACLE). */
export const BASELINES: readonly BenchStrategy[] = ['ROUND_ROBIN', 'RANDOM', 'LEAST_LOADED', 'P2C', 'PEAK_EWMA'];

/** Called after every selection with the candidates the pool offered and the agent chosen. */
export type DecisionHook = (candidates: readonly Candidate[], agentId: string) => void;

/**
 * The real AgentRouter, with each selection reported to a hook (for decision accuracy).
 * Subclassing keeps the router's own select untouched: the hook sees its input and its answer.
 */
export class InstrumentedRouter extends AgentRouter {
  constructor(
    deps: AgentRouterDeps,
    options: Partial<AgentRouterOptions>,
    private readonly hook: DecisionHook,
  ) {
    super(deps, options);
  }

  override select(...args: Parameters<AgentRouter['select']>): ReturnType<AgentRouter['select']> {
    const result = super.select(...args);
    this.hook(args[0], result.agentId);
    return result;
  }
}

/** The hidden truth the ORACLE_WAIT reads; a stand-in that knows nothing when the simulation gives none. */
const NO_WAIT_TRUTH: WaitTruth = { workOf: () => undefined, submitting: () => 1, meanWork: () => 1, completionOf: () => 1, slotFreeTimes: () => [] };

/**
 * ORACLE_WAIT_BLIND's margin: 1 (greedy) unless `BENCH_BLIND_MARGIN` (in (0, 1]) sets it, to sweep how
 * readily a size-blind clairvoyant should hold.
 */
function blindMargin(): number {
  const raw = process.env.BENCH_BLIND_MARGIN;
  const m = raw === undefined ? 1 : Number(raw);
  if (!(m > 0 && m <= 1)) throw new RangeError(`BENCH_BLIND_MARGIN must be in (0, 1], got ${raw}`);
  return m;
}

/**
 * RIPPLE's options for an experiment: `BENCH_RIPPLE_OPTIONS` as JSON (e.g. '{"wait":{"shortlist":2}}'),
 * else the defaults. How the variants in docs/routing.md's "What was tried" were run.
 */
function rippleOptions(): Partial<RippleOptions> {
  const raw = process.env.BENCH_RIPPLE_OPTIONS;
  if (raw === undefined || raw === '') return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError(`BENCH_RIPPLE_OPTIONS must be a JSON object, got ${raw}`);
  return parsed as Partial<RippleOptions>;
}

/** A router whose default strategy is `name`, with the ORACLE and ORACLE_WAIT registered beside the built-in ones. */
export function createRouter(
  name: BenchStrategy,
  deps: { random: Random; scores: ScoreSource; truth: TrueCompletion; waitTruth?: WaitTruth; onDecision: DecisionHook },
): InstrumentedRouter {
  // The oracles' names are outside StrategyName; AgentRouter takes extra strategies by name (deps.strategies).
  const strategies = {
    ORACLE: new OracleStrategy(deps.truth) as unknown as RoutingStrategy,
    ORACLE_WAIT: new OracleWaitStrategy(deps.waitTruth ?? NO_WAIT_TRUTH) as unknown as RoutingStrategy,
    ORACLE_WAIT_BLIND: new OracleWaitStrategy(deps.waitTruth ?? NO_WAIT_TRUTH, { blind: true, margin: blindMargin() }) as unknown as RoutingStrategy,
  } as unknown as AgentRouterDeps['strategies'];
  return new InstrumentedRouter(
    { random: deps.random, scores: deps.scores, strategies },
    { enableRep: true, defaultStrategy: name as StrategyName, ripple: rippleOptions() },
    deps.onDecision,
  );
}

/**
 * Which strategies this build of the router can run: each is asked to choose between two agents
 * that have live signals, and must answer under its own name (not throw, not fall back).
 * Returns the reason for those that cannot.
 */
export function unavailableStrategies(names: readonly BenchStrategy[] = STRATEGIES): Map<BenchStrategy, string> {
  const scores: ScoreSource = { now: () => 0, routingScore: (id) => (id === 'a' ? 0.6 : 0.4), hasLiveSignal: () => true };
  const out = new Map<BenchStrategy, string>();
  for (const name of names) {
    try {
      const router = createRouter(name, { random: { next: () => 0.5 }, scores, truth: () => 1, onDecision: () => {} });
      const result = router.select(
        [
          { agentId: 'a', inFlight: 0, capacity: 4 },
          { agentId: 'b', inFlight: 1, capacity: 4 },
        ],
        name as StrategyName,
      );
      if ((result.strategy as string) !== name) out.set(name, `answered as ${String(result.strategy)}`);
    } catch (err) {
      out.set(name, err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}
