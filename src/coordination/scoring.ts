/** Score of a dimension with no live signal: neither attractive nor repellent. */
export const NEUTRAL_SCORE = 0.5;

/** The signal's value as "higher is better": `1 - value` for load, cost and latency. */
export function dimensionValue(value: number, inverted: boolean): number {
  return inverted ? 1 - value : value;
}

/**
 * How much a signal still counts at `x = age / ttl`: f(x) = (1 − x)²(1 + 2x), the complement of
 * smoothstep. f(0) = 1, f(1) = 0, strictly decreasing in between, with zero slope at both ends, so
 * a fresh signal keeps nearly full weight for a while and a dying one fades out without a kink at
 * expiry. x is clamped to [0, 1] (a timestamp slightly in the future counts as fresh).
 */
export function freshness(x: number): number {
  if (!(x > 0)) return 1;
  if (x >= 1) return 0;
  const r = 1 - x;
  return r * r * (1 + 2 * x);
}

/** Pull a score towards neutral: 0.5 + w·(s − 0.5), with w = confidence × freshness in [0, 1]. */
export function blend(score: number, weight: number): number {
  return NEUTRAL_SCORE + weight * (score - NEUTRAL_SCORE);
}

/** The fields of a stored signal that scoring reads. */
export interface ScoredSignal {
  readonly value: number;
  readonly confidence: number;
  readonly timestamp: number;
  readonly expiresAt: number;
}

/** One dimension's score in [0, 1] at `now`; NEUTRAL_SCORE when missing or expired. */
export function dimensionScore(signal: ScoredSignal | undefined, inverted: boolean, now: number): number {
  if (signal === undefined || now >= signal.expiresAt) return NEUTRAL_SCORE;
  const x = (now - signal.timestamp) / (signal.expiresAt - signal.timestamp);
  return blend(dimensionValue(signal.value, inverted), signal.confidence * freshness(x));
}
