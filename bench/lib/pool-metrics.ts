/**
 * The daemon's own view of a phase, from two scrapes of GET /metrics (Prometheus text format):
 * counters and histograms are cumulative, so the difference between a scrape at the start and one
 * at the end of the measured window is what happened inside it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type Scrape = Sample[];

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export async function scrapeMetrics(httpUrl: string): Promise<Scrape> {
  const res = await fetch(`${httpUrl}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return parseMetrics(text);
}

export function parseMetrics(text: string): Scrape {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function matches(s: Sample, name: string, labels: Record<string, string>): boolean {
  return s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
}

/** Sum of the samples named `name` whose labels include `labels` (0 when none: a counter never incremented). */
export function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of scrape) if (matches(s, name, labels)) sum += s.value;
  return sum;
}

export interface Bucket {
  /** Upper bound, seconds (Infinity for +Inf). */
  le: number;
  /** Cumulative count. */
  count: number;
}

/** A histogram's cumulative buckets, ascending, optionally restricted by labels. */
export function buckets(scrape: Scrape, histogram: string, labels: Record<string, string> = {}): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of scrape) {
    if (!matches(s, `${histogram}_bucket`, labels)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** Buckets of `after` minus those of `before` (same histogram, same bounds). */
export function bucketDelta(before: Bucket[], after: Bucket[]): Bucket[] {
  const was = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (was.get(b.le) ?? 0) }));
}

/** PromQL histogram_quantile: linear interpolation inside the bucket holding the q-th observation. */
export function histogramQuantile(q: number, cumulative: Bucket[]): number {
  const found = locate(q, cumulative);
  if (!found) return Number.NaN;
  const { i, rank } = found;
  const b = cumulative[i]!;
  if (b.le === Number.POSITIVE_INFINITY) return i > 0 ? cumulative[i - 1]!.le : Number.NaN;
  const lower = i > 0 ? cumulative[i - 1]!.le : 0;
  const below = i > 0 ? cumulative[i - 1]!.count : 0;
  return b.count === below ? lower : lower + ((b.le - lower) * (rank - below)) / (b.count - below);
}

/** The upper bound of the bucket holding the q-th observation: what the histogram can actually promise ("p99 ≤ this"). */
export function quantileUpperBound(q: number, cumulative: Bucket[]): number {
  const found = locate(q, cumulative);
  return found ? cumulative[found.i]!.le : Number.NaN;
}

function locate(q: number, cumulative: Bucket[]): { i: number; rank: number } | undefined {
  const total = cumulative.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  const i = cumulative.findIndex((b) => b.count >= rank);
  return i < 0 ? undefined : { i, rank };
}

/** A histogram over one window, in milliseconds. */
export interface HistogramWindow {
  count: number;
  /** Interpolated as histogram_quantile does (uniform within a bucket: coarse below the first bound). */
  p50Ms: number;
  p99Ms: number;
  /** Upper bounds of the buckets holding p50 and p99: "p99 ≤ this". */
  p50UpperBoundMs: number;
  p99UpperBoundMs: number;
  /** Smallest bucket bound, and the share of observations at or below it. */
  firstBoundMs: number;
  shareInFirstBucket: number;
}

export function histogramWindow(before: Scrape, after: Scrape, histogram: string, labels: Record<string, string> = {}): HistogramWindow {
  const delta = bucketDelta(buckets(before, histogram, labels), buckets(after, histogram, labels));
  const total = delta.at(-1)?.count ?? 0;
  const ms = (s: number): number => (Number.isFinite(s) ? s * 1000 : s);
  return {
    count: total,
    p50Ms: ms(histogramQuantile(0.5, delta)),
    p99Ms: ms(histogramQuantile(0.99, delta)),
    p50UpperBoundMs: ms(quantileUpperBound(0.5, delta)),
    p99UpperBoundMs: ms(quantileUpperBound(0.99, delta)),
    firstBoundMs: ms(delta[0]?.le ?? Number.NaN),
    shareInFirstBucket: total > 0 ? (delta[0]?.count ?? 0) / total : Number.NaN,
  };
}
