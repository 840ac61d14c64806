import type { CoordinationService } from '../../src/coordination/coordination-service.js';
import type { SimAgent } from './sim-agent.js';
import type { SimClock } from './sim-clock.js';
import type { SignalReporter } from './signal-reporter.js';
import type { Confusion } from './stats.js';

/** Horizons at which predictOverload is checked, seconds. */
export const HORIZONS_S = [1, 5, 10] as const;
const SAMPLE_MS = 1000;

export interface HorizonResult {
  horizonSeconds: number;
  /** coordination.predictOverload(agentId, h).willOverload against the truth at t + h. */
  predictor: Confusion;
  /** The naive rule: the latest live load signal the agent reported is >= the threshold. */
  naive: Confusion;
}

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
  /** Per horizon, per sample (undefined outside the scoring window), per agent: [predicted, naive]. */
  private readonly calls: (Uint8Array | undefined)[][] = HORIZONS_S.map(() => []);

  constructor(
    private readonly deps: {
      clock: SimClock;
      coordination: CoordinationService;
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
      const predictor = zero();
      const naive = zero();
      const steps = (h * 1000) / SAMPLE_MS;
      this.calls[k]!.forEach((row, i) => {
        const later = this.truth[i + steps];
        if (row === undefined || later === undefined) return;
        for (let a = 0; a < this.deps.agents.length; a++) {
          const actual = later[a]! >= threshold;
          tally(predictor, row[2 * a] === 1, actual);
          tally(naive, row[2 * a + 1] === 1, actual);
        }
      });
      return { horizonSeconds: h, predictor, naive };
    });
  }

  private sample(): void {
    const { clock, coordination, agents, reporter, from, until } = this.deps;
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
      const row = new Uint8Array(2 * agents.length);
      agents.forEach((a, i) => {
        let predicted = false;
        try {
          predicted = coordination.predictOverload(a.agentId, h).willOverload;
        } catch {
          // UNKNOWN_AGENT: nothing reported yet, so nothing predicted.
        }
        const last = reporter.reportedLoad(a.agentId);
        row[2 * i] = predicted ? 1 : 0;
        row[2 * i + 1] = last !== undefined && now < last.at + ttl && last.value >= threshold ? 1 : 0;
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
