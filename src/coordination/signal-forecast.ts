import type { OverloadPrediction } from './types.js';

/** One load observation: value in [0,1] at a timestamp in milliseconds. */
export interface LoadSample {
  readonly value: number;
  readonly timestamp: number;
}

/** Sample count (within the trend window) from which confidence is limited by the fit alone. */
export const FULL_CONFIDENCE_SAMPLES = 10;

/** Predicted load when there are no samples: neutral, like a missing signal's score. */
export const NO_DATA_LOAD = 0.5;

/** The trend is fitted to the samples at most this many seconds older than the newest one. */
export const TREND_WINDOW_SECONDS = 30;

/**
 * A rising forecast counts as an overload from threshold − margin, the margin growing by this much
 * per second of horizon beyond the first (up to MAX_DECISION_MARGIN): the further ahead, the wider
 * the spread of the outcome around the forecast, and without the margin overloads further out are
 * more often missed than falsely announced (see docs/protocol.md, "Overload prediction").
 */
export const DECISION_MARGIN_PER_SECOND = 0.02;
/** Upper bound of the decision margin, whatever the horizon. */
export const MAX_DECISION_MARGIN = 0.2;

/** Sum of squared deviations below which a series counts as flat (rounding noise, not a trend). */
const FLAT_EPSILON = 1e-12;

const clampUnit = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Predict load `horizonSeconds` after `now` as level + trend × horizon, clamped to [0,1]:
 * - level: the newest sample (the mean of the samples sharing the newest timestamp). Load in a
 *   pool decorrelates within seconds, so the latest observation is the best level; averaging in
 *   older samples only adds lag.
 * - trend: ordinary least-squares slope (per second, against real timestamps, so irregular
 *   spacing is honoured) over the samples at most TREND_WINDOW_SECONDS older than the newest.
 *   The window follows onsets; a fit through the whole live history (up to the TTL) lags them.
 * Samples may come in any order; O(samples), no allocation.
 *
 * - 0 samples: predictedLoad 0.5 (no information), confidence 0, never willOverload.
 * - otherwise confidence = min(1, m / FULL_CONFIDENCE_SAMPLES) × R² of the trend fit over the m
 *   samples in the window, with R² = 1 for a flat window and 0 when the window's samples share one
 *   instant but differ (no trend visible).
 *
 * willOverload = samples > 0 and (predictedLoad >= threshold, or the trend is rising and
 * predictedLoad >= threshold − min(MAX_DECISION_MARGIN, DECISION_MARGIN_PER_SECOND ×
 * max(0, horizonSeconds − 1))). A flat or falling load below the threshold never counts.
 */
export function forecastFromSignals(samples: readonly LoadSample[], now: number, horizonSeconds: number, threshold: number): OverloadPrediction {
  const n = samples.length;
  if (n === 0) return { willOverload: false, predictedLoad: NO_DATA_LOAD, confidence: 0, samples: 0, horizonSeconds, basis: 'signals' };

  // Pass 1: the newest instant and the level there.
  let newest = -Infinity;
  let levelSum = 0;
  let levelCount = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (s.timestamp > newest) {
      newest = s.timestamp;
      levelSum = s.value;
      levelCount = 1;
    } else if (s.timestamp === newest) {
      levelSum += s.value;
      levelCount++;
    }
  }
  const level = levelSum / levelCount;

  // Pass 2: means over the trend window (x in seconds before the newest sample, values relative to
  // the level, so that a flat window sums to exactly 0).
  const from = newest - TREND_WINDOW_SECONDS * 1000;
  let m = 0;
  let meanX = 0;
  let meanDy = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (s.timestamp < from) continue;
    m++;
    meanX += (s.timestamp - newest) / 1000;
    meanDy += s.value - level;
  }
  meanX /= m;
  meanDy /= m;

  // Pass 3: the least-squares fit.
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (s.timestamp < from) continue;
    const dx = (s.timestamp - newest) / 1000 - meanX;
    const dy = s.value - level - meanDy;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  // Measured from `now`, not from the newest sample: extrapolating over the sample's age as well
  // scored no better in the routing simulation and is noisier.
  const predictedLoad = clampUnit(level + slope * horizonSeconds);
  const r2 = syy <= FLAT_EPSILON ? 1 : sxx === 0 ? 0 : clampUnit((sxy * sxy) / (sxx * syy));
  const margin = Math.min(MAX_DECISION_MARGIN, DECISION_MARGIN_PER_SECOND * Math.max(0, horizonSeconds - 1));
  return {
    willOverload: predictedLoad >= threshold || (slope > 0 && predictedLoad >= threshold - margin),
    predictedLoad,
    confidence: clampUnit(Math.min(1, m / FULL_CONFIDENCE_SAMPLES) * r2),
    samples: n,
    horizonSeconds,
    basis: 'signals',
  };
}
