/** Settings of LoadCurve. */
export interface LoadCurveOptions {
  /** Knots over (0, 1] at u = i / bins (the last also takes anything above 1). @defaultValue 8 */
  bins: number;
  /** Weight of one sample in its bin's EWMA (once warmed up; 1/(n + 1) before, the prior counting as one). @defaultValue 0.02 */
  weight: number;
}

export const DEFAULT_LOAD_CURVE_OPTIONS: Readonly<LoadCurveOptions> = {
  bins: 8,
  weight: 0.02,
};

/**
 * How much longer a task takes when it is dispatched to an agent at utilization u than when it is
 * dispatched to an idle one, learned over the whole fleet: g(u) ≥ 1, g(0) = 1, non-decreasing.
 * Each bin holds an EWMA of ln(latency ÷ the agent's level), starting from a prior curve (RIPPLE's
 * 1 + k·u) so that it says what the fixed rule said until the samples say otherwise. Its shape is
 * whatever the agents do: one that runs every slot at once stretches little, one that registers
 * more slots than it runs queues the rest and stretches once its workers are taken.
 */
export class LoadCurve {
  readonly options: Readonly<LoadCurveOptions>;
  private readonly logFactor: Float64Array;
  private readonly samples: Float64Array;
  /** logFactor made non-decreasing (see refresh); knot 0 stays 0. */
  private readonly monotone: Float64Array;
  private readonly blockValue: Float64Array;
  private readonly blockWeight: Float64Array;
  private readonly blockEnd: Float64Array;

  constructor(prior: (u: number) => number, options: Partial<LoadCurveOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_LOAD_CURVE_OPTIONS, ...options });
    const { bins, weight } = this.options;
    if (!(Number.isInteger(bins) && bins >= 1 && weight > 0 && weight <= 1))
      throw new TypeError('LoadCurve options: bins a whole number >= 1, weight in (0, 1]');
    this.logFactor = new Float64Array(bins + 1);
    this.samples = new Float64Array(bins + 1);
    this.monotone = new Float64Array(bins + 1);
    this.blockValue = new Float64Array(bins);
    this.blockWeight = new Float64Array(bins);
    this.blockEnd = new Float64Array(bins);
    // Knot i sits at u = i / bins; knot 0 (u = 0) is pinned at 1: no load, no stretch.
    for (let i = 1; i <= bins; i++) this.logFactor[i] = Math.log(Math.max(1, prior(i / bins)));
    this.refresh();
  }

  /** The stretch g(u) at utilization u: linear in ln g between knots (u = i / bins), flat beyond u = 1. */
  factor(u: number): number {
    if (!(u > 0)) return 1;
    const { bins } = this.options;
    const x = Math.min(u, 1) * bins;
    const i = Math.floor(x);
    if (i >= bins) return Math.exp(this.monotone[bins]!);
    return Math.exp(this.monotone[i]! + (x - i) * (this.monotone[i + 1]! - this.monotone[i]!));
  }

  /** Learn from one attempt dispatched at utilization u (> 0) that took `logRatio` = ln(latency ÷ the agent's idle level); it goes to the nearest knot. */
  learn(u: number, logRatio: number): void {
    if (!(u > 0) || !Number.isFinite(logRatio)) return;
    const { bins, weight } = this.options;
    const i = Math.min(bins, Math.max(1, Math.round(u * bins)));
    const n = ++this.samples[i]!;
    this.logFactor[i]! += Math.max(weight, 1 / (n + 1)) * (logRatio - this.logFactor[i]!);
    this.refresh();
  }

  /**
   * The curve read: the bins' values made non-decreasing (more load never makes a task faster) by
   * weighted isotonic regression (pool adjacent violators), each bin weighted by its effective
   * sample count, so that one noisy, thinly sampled bin cannot lift every bin above it.
   */
  private refresh(): void {
    const bins = this.options.bins;
    const cap = 1 / this.options.weight;
    // Blocks of pooled bins: value, weight, and the last bin each covers.
    const value = this.blockValue;
    const weight = this.blockWeight;
    const end = this.blockEnd;
    let blocks = 0;
    for (let i = 1; i <= bins; i++) {
      value[blocks] = this.logFactor[i]!;
      weight[blocks] = 1 + Math.min(this.samples[i]!, cap);
      end[blocks] = i;
      blocks++;
      while (blocks > 1 && value[blocks - 2]! > value[blocks - 1]!) {
        const w = weight[blocks - 2]! + weight[blocks - 1]!;
        value[blocks - 2] = (value[blocks - 2]! * weight[blocks - 2]! + value[blocks - 1]! * weight[blocks - 1]!) / w;
        weight[blocks - 2] = w;
        end[blocks - 2] = end[blocks - 1]!;
        blocks--;
      }
    }
    let i = 1;
    for (let b = 0; b < blocks; b++) for (; i <= end[b]!; i++) this.monotone[i] = Math.max(0, value[b]!);
  }
}
