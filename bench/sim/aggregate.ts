import type { HorizonResult } from './overload-probe.js';
import type { RunResult } from './run.js';
import { SCENARIOS, type Variant } from './scenarios.js';
import { estimate, mean, scores, type Estimate } from './stats.js';
import { STRATEGIES, type BenchStrategy } from './strategies.js';

/** Per-run numbers summarised over seeds (latencies in ms, shares in [0,1]). */
export const METRICS = {
  p50: (r: RunResult) => r.latency.p50,
  p99: (r: RunResult) => r.latency.p99,
  p999: (r: RunResult) => r.latency.p999,
  mean: (r: RunResult) => r.latency.mean,
  failureRate: (r: RunResult) => r.failureRate,
  timeoutRate: (r: RunResult) => r.timeoutRate,
  slo: (r: RunResult) => r.slo,
  accuracy: (r: RunResult) => r.accuracy,
  contestedAccuracy: (r: RunResult) => r.contestedAccuracy,
  utilizationSpread: (r: RunResult) => r.utilizationSpread,
  costPerTask: (r: RunResult) => r.costPerTask,
  fallbacks: (r: RunResult) => r.fallbacks,
  heldFraction: (r: RunResult) => r.heldFraction,
  holdMeanMs: (r: RunResult) => r.holdMeanMs,
} as const;
export type MetricKey = keyof typeof METRICS;

/** Precision, recall, F1 of one rule at one horizon, each a mean over seeds with its interval. */
export interface RuleSummary {
  precision: Estimate;
  recall: Estimate;
  f1: Estimate;
}

export interface HorizonSummary {
  horizonSeconds: number;
  /** predictOverload as the daemon answers it (the pool's forecast with one daemon). */
  predictor: RuleSummary;
  /** predictOverload with basis 'signals' (the load reports' trend). */
  signals: RuleSummary;
  /** Latest reported load >= threshold. */
  naive: RuleSummary;
  /** Exact current load >= threshold. */
  exactNaive: RuleSummary;
  /** Share of (agent, time) samples that really were overloaded h seconds later. */
  baseRate: Estimate;
  /** F1 of the trivial rule "always overloaded", for scale. */
  alwaysF1: Estimate;
}

export interface StrategySummary {
  strategy: BenchStrategy;
  /** Why it did not run (unknown to this build of the router); undefined when it ran. */
  skipped?: string;
  runs: number;
  metrics?: Record<MetricKey, Estimate>;
  /** Mean over seeds of each run's latency at CDF_POINTS, ms. */
  cdf?: number[];
  prediction?: HorizonSummary[];
}

export interface VariantSummary {
  scenario: number;
  scenarioKey: string;
  title: string;
  control: boolean;
  variant: Variant;
  strategies: StrategySummary[];
}

/** Group runs by scenario variant and strategy and summarise each group over its seeds. */
export function aggregate(results: readonly RunResult[], skipped: ReadonlyMap<BenchStrategy, string>, scenarioIds: readonly number[]): VariantSummary[] {
  const out: VariantSummary[] = [];
  for (const sc of SCENARIOS.filter((s) => scenarioIds.includes(s.id))) {
    sc.variants.forEach((variant, vi) => {
      const strategies: StrategySummary[] = STRATEGIES.map((strategy) => {
        const reason = skipped.get(strategy);
        if (reason !== undefined) return { strategy, skipped: reason, runs: 0 };
        const runs = results.filter((r) => r.spec.scenario === sc.id && r.spec.variant === vi && r.spec.strategy === strategy);
        const metrics = Object.fromEntries(Object.entries(METRICS).map(([k, f]) => [k, estimate(runs.map(f))])) as Record<MetricKey, Estimate>;
        const cdf = runs[0]?.cdf.map((_, i) => mean(runs.map((r) => r.cdf[i]!))) ?? [];
        const predictions = runs.map((r) => r.prediction).filter((p): p is HorizonResult[] => p !== undefined);
        return { strategy, runs: runs.length, metrics, cdf, prediction: predictions.length > 0 ? summarisePrediction(predictions) : undefined };
      });
      out.push({ scenario: sc.id, scenarioKey: sc.key, title: sc.title, control: sc.control, variant, strategies });
    });
  }
  return out;
}

function summarisePrediction(runs: readonly HorizonResult[][]): HorizonSummary[] {
  return runs[0]!.map((first, k) => {
    const at = runs.map((r) => r[k]!);
    const rule = (pick: (h: HorizonResult) => HorizonResult['predictor']): RuleSummary => {
      const s = at.map((h) => scores(pick(h)));
      return { precision: estimate(s.map((x) => x.precision)), recall: estimate(s.map((x) => x.recall)), f1: estimate(s.map((x) => x.f1)) };
    };
    const base = at.map((h) => {
      const c = h.predictor;
      return (c.tp + c.fn) / Math.max(1, c.tp + c.fp + c.fn + c.tn);
    });
    return {
      horizonSeconds: first.horizonSeconds,
      predictor: rule((h) => h.predictor),
      signals: rule((h) => h.signals),
      naive: rule((h) => h.naive),
      exactNaive: rule((h) => h.exactNaive),
      baseRate: estimate(base),
      alwaysF1: estimate(base.map((p) => (2 * p) / (1 + p))),
    };
  });
}
