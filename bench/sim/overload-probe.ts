import type { CoordinationService } from '../../src/coordination/coordination-service.js';
import type { LoadForecasts } from '../../src/coordination/load-forecasts.js';
import type { SimAgent } from './sim-agent.js';
import type { SimClock } from './sim-clock.js';
import type { SignalReporter } from './signal-reporter.js';
import type { Confusion } from './stats.js';

/** Horizons at which predictOverload is checked, seconds. */
export const HORIZONS_S = [1, 5, 10] as const;
const SAMPLE_MS = 1000;

export interface HorizonResult {
  horizonSeconds: number;
  /** coordination.predictOverload(agentId, h).willOverload against the truth at t + h (the pool's forecast with one daemon). */
  predictor: Confusion;
  /** The same with basis 'signals': the trend of the agent's load reports only. */
  signals: Confusion;
  /** The naive rule: the latest live load signal the agent reported is >= the threshold. */
  naive: Confusion;
  /** The naive rule on the exact current load (what the daemon's pool sees with one daemon). */
  exactNaive: Confusion;
}

/** The rules scored, in the order the probe stores their answers. */
const RULES = ['predictor', 'signals', 'naive', 'exactNaive'] as const;

const zero = (): Confusion => ({ tp: 0, fp: 0, fn: 0, tn: 0 });

/**
 * Every second, asks the real CoordinationService to predict each agent's overload at each horizon
 * and notes the naive rule's answer, and samples every agent's true load (held / capacity). After
 * the run, each prediction made at t is scored against whether the true load at t + h was at or
 * above the service's overload threshold.
 */
export class OverloadProbe {
  /** True load of every agent at each sample. */
  private readonly truth: Float64Array[] = [];
  /** Per horizon, per sample (undefined outside the scoring window), per agent: one answer per rule in RULES. */
  private readonly calls: (Uint8Array | undefined)[][] = HORIZONS_S.map(() => []);

  constructor(
    private readonly deps: {
      clock: SimClock;
      coordination: CoordinationService;
      /** Answers coordination.predictOverload: the blend with the pool's forecast when there is one daemon, else the coordination service. */
      forecasts: Pick<LoadForecasts, 'predictOverload'>;
      agents: readonly SimAgent[];
      reporter: SignalReporter;
      /** Predictions are made (and scored) at times in [from, until), ms of clock time. */
      from: number;
      until: number;
    },
  ) {}

  start(): void {
    this.deps.clock.setInterval(() => this.sample(), SAMPLE_MS);
  }

  result(): HorizonResult[] {
    const threshold = this.deps.coordination.options.overloadThreshold;
    return HORIZONS_S.map((h, k) => {
      const confusions = RULES.map(zero);
      const steps = (h * 1000) / SAMPLE_MS;
      this.calls[k]!.forEach((row, i) => {
        const later = this.truth[i + steps];
        if (row === undefined || later === undefined) return;
        for (let a = 0; a < this.deps.agents.length; a++) {
          const actual = later[a]! >= threshold;
          confusions.forEach((c, r) => tally(c, row[RULES.length * a + r] === 1, actual));
        }
      });
      const [predictor, signals, naive, exactNaive] = confusions as [Confusion, Confusion, Confusion, Confusion];
      return { horizonSeconds: h, predictor, signals, naive, exactNaive };
    });
  }

  private sample(): void {
    const { clock, coordination, forecasts, agents, reporter, from, until } = this.deps;
    const now = clock.now();
    this.truth.push(Float64Array.from(agents, (a) => a.load));
    const inWindow = now >= from && now < until;
    const threshold = coordination.options.overloadThreshold;
    const ttl = coordination.options.signalTtlMs;
    HORIZONS_S.forEach((h, k) => {
      if (!inWindow) {
        this.calls[k]!.push(undefined);
        return;
      }
      const row = new Uint8Array(RULES.length * agents.length);
      agents.forEach((a, i) => {
        const predicts = (basis: 'auto' | 'signals'): boolean => {
          try {
            return forecasts.predictOverload(a.agentId, h, basis).willOverload;
          } catch {
            return false; // UNKNOWN_AGENT: nothing reported or held yet, so nothing predicted.
          }
        };
        const last = reporter.reportedLoad(a.agentId);
        const answers = [predicts('auto'), predicts('signals'), last !== undefined && now < last.at + ttl && last.value >= threshold, a.load >= threshold];
        answers.forEach((yes, r) => (row[RULES.length * i + r] = yes ? 1 : 0));
      });
      this.calls[k]!.push(row);
    });
  }
}

function tally(c: Confusion, predicted: boolean, actual: boolean): void {
  if (predicted && actual) c.tp++;
  else if (predicted) c.fp++;
  else if (actual) c.fn++;
  else c.tn++;
}
