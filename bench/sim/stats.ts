/** Quantile of sorted values by linear interpolation between closest ranks (R type 7); NaN when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Population standard deviation. */
export function stdDev(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Mean over seeds and the half-width of its 95% confidence interval (Student's t); NaN values are left out. */
export interface Estimate {
  mean: number;
  ci: number;
  n: number;
}

export function estimate(values: readonly number[]): Estimate {
  const xs = values.filter((x) => Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, ci: Number.NaN, n: 0 };
  const m = mean(xs);
  if (n === 1) return { mean: m, ci: Number.NaN, n };
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  const sd = Math.sqrt(s / (n - 1));
  const t = n - 1 <= T975.length ? T975[n - 2]! : 1.96;
  return { mean: m, ci: (t * sd) / Math.sqrt(n), n };
}

/** Precision, recall and F1 of a binary predictor from its confusion counts (NaN where undefined). */
export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function scores(c: Confusion): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? Number.NaN : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? Number.NaN : c.tp / (c.tp + c.fn);
  const f1 = c.tp === 0 ? (c.fp + c.fn === 0 ? Number.NaN : 0) : (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
  return { precision, recall, f1 };
}
