import type { OverloadPrediction } from './types.js';

/** One load observation: value in [0,1] at a timestamp in milliseconds. */
export interface LoadSample {
  readonly value: number;
  readonly timestamp: number;
}

/** Sample count from which confidence is limited by the fit alone. */
export const FULL_CONFIDENCE_SAMPLES = 10;

/** Predicted load when there are no samples: neutral, like a missing signal's score. */
export const NO_DATA_LOAD = 0.5;

/** Sum of squared deviations below which a series counts as flat (rounding noise, not a trend). */
const FLAT_EPSILON = 1e-12;

const clampUnit = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Predict load `horizonSeconds` after `now` by an ordinary least-squares line through the samples
 * against their real timestamps (in seconds, so irregular spacing is honoured), clamped to [0,1].
 *
 * - 0 samples: predictedLoad 0.5 (no information), confidence 0, never willOverload.
 * - 1 sample: predictedLoad = that value, confidence 1/FULL_CONFIDENCE_SAMPLES.
 * - n ≥ 2: confidence = min(1, n / FULL_CONFIDENCE_SAMPLES) × R², with R² = 1 for a perfectly
 *   flat series and 0 when every sample shares one instant but values differ (no trend visible).
 *
 * willOverload = samples > 0 and predictedLoad >= threshold.
 */
export function predictOverload(
  samples: readonly LoadSample[],
  now: number,
  horizonSeconds: number,
  threshold: number,
): OverloadPrediction {
  const n = samples.length;
  if (n === 0) return { willOverload: false, predictedLoad: NO_DATA_LOAD, confidence: 0, samples: 0, horizonSeconds };
  const sampleFactor = Math.min(1, n / FULL_CONFIDENCE_SAMPLES);
  if (n === 1) {
    const load = clampUnit(samples[0]!.value);
    return { willOverload: load >= threshold, predictedLoad: load, confidence: sampleFactor, samples: 1, horizonSeconds };
  }

  // Values are taken relative to the first sample so that a flat series sums to exactly 0.
  const y0 = samples[0]!.value;
  let meanX = 0;
  let meanDy = 0;
  for (const s of samples) {
    meanX += (s.timestamp - now) / 1000;
    meanDy += s.value - y0;
  }
  meanX /= n;
  meanDy /= n;
  const meanY = y0 + meanDy;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const s of samples) {
    const dx = (s.timestamp - now) / 1000 - meanX;
    const dy = s.value - y0 - meanDy;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const predictedLoad = clampUnit(meanY + slope * (horizonSeconds - meanX));
  const r2 = syy <= FLAT_EPSILON ? 1 : sxx === 0 ? 0 : clampUnit((sxy * sxy) / (sxx * syy));
  return {
    willOverload: predictedLoad >= threshold,
    predictedLoad,
    confidence: clampUnit(sampleFactor * r2),
    samples: n,
    horizonSeconds,
  };
}
