import { expect } from 'chai';
import { FULL_CONFIDENCE_SAMPLES, forecastFromSignals } from '../../../src/coordination/signal-forecast.js';
import { NO_INFORMATION } from '../../support/forecasts.js';

const NOW = 1_700_000_000_000;

describe('forecastFromSignals (pure)', () => {
  it('reports no information for no samples', () => {
    expect(forecastFromSignals([], NOW, 5, 0.3)).to.deep.equal(NO_INFORMATION);
  });

  it('uses a single sample as is, with low confidence', () => {
    const p = forecastFromSignals([{ value: 0.9, timestamp: NOW - 1000 }], NOW, 5, 0.85);
    expect(p).to.deep.equal({
      willOverload: true,
      predictedLoad: 0.9,
      confidence: 1 / FULL_CONFIDENCE_SAMPLES,
      samples: 1,
      horizonSeconds: 5,
      basis: 'signals',
    });
  });

  it('extrapolates against real timestamps, not sample order', () => {
    // 0.01 per second, irregularly spaced: a per-index trend would predict far higher.
    const samples = [
      { value: 0.2, timestamp: NOW - 30_000 },
      { value: 0.21, timestamp: NOW - 29_000 },
      { value: 0.22, timestamp: NOW - 28_000 },
      { value: 0.5, timestamp: NOW },
    ];
    const p = forecastFromSignals(samples, NOW, 5, 0.85);
    expect(p.predictedLoad).to.be.closeTo(0.55, 1e-9);
    expect(p.willOverload).to.equal(false);
    expect(p.confidence).to.be.closeTo(0.4, 1e-9); // 4/10 samples × R² = 1
    expect(p.samples).to.equal(4);
  });

  it('clamps to [0,1] and lowers confidence for a poor fit', () => {
    const rising = [0, 1, 2, 3].map((i) => ({ value: 0.7 + 0.1 * i, timestamp: NOW - (3 - i) * 1000 }));
    expect(forecastFromSignals(rising, NOW, 60, 0.85).predictedLoad).to.equal(1);
    const falling = [0, 1, 2, 3].map((i) => ({ value: 0.3 - 0.1 * i, timestamp: NOW - (3 - i) * 1000 }));
    expect(forecastFromSignals(falling, NOW, 60, 0.85).predictedLoad).to.equal(0);
    const noisy = [0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9].map((value, i) => ({ value, timestamp: NOW - (9 - i) * 1000 }));
    const p = forecastFromSignals(noisy, NOW, 5, 0.85);
    expect(p.confidence).to.be.greaterThan(0).and.lessThan(0.1);
  });

  it('gives a flat series full fit and no trend', () => {
    const flat = Array.from({ length: 12 }, (_, i) => ({ value: 0.6, timestamp: NOW - i * 700 }));
    expect(forecastFromSignals(flat, NOW, 5, 0.85)).to.deep.equal({
      willOverload: false,
      predictedLoad: 0.6,
      confidence: 1,
      samples: 12,
      horizonSeconds: 5,
      basis: 'signals',
    });
  });

  it('sees no trend when all samples share one instant', () => {
    const p = forecastFromSignals(
      [
        { value: 0.2, timestamp: NOW },
        { value: 0.4, timestamp: NOW },
      ],
      NOW,
      5,
      0.85,
    );
    expect(p.predictedLoad).to.be.closeTo(0.3, 1e-12);
    expect(p.confidence).to.equal(0);
  });
  it('starts from the newest sample and fits the trend over the recent window only', () => {
    // An old plateau at 0.2 would drag a whole-history line down; the last 30 s climb 0.01/s to 0.8.
    const samples = [
      ...Array.from({ length: 5 }, (_, i) => ({ value: 0.2, timestamp: NOW - 100_000 + i * 1000 })),
      ...Array.from({ length: 31 }, (_, i) => ({ value: 0.5 + 0.01 * i, timestamp: NOW - 30_000 + i * 1000 })),
    ];
    const p = forecastFromSignals(samples, NOW, 5, 0.85);
    expect(p.predictedLoad).to.be.closeTo(0.85, 1e-9);
    expect(p.willOverload).to.equal(true);
    expect(p.confidence).to.be.closeTo(1, 1e-9);
    expect(p.samples).to.equal(36);
    // sample order does not matter
    expect(forecastFromSignals([...samples].reverse(), NOW, 5, 0.85)).to.deep.equal(p);
  });

  it('lowers the bar for a rising load as the horizon grows, never for a flat or falling one', () => {
    const series = (slope: number) => Array.from({ length: 10 }, (_, i) => ({ value: 0.75 + slope * (i - 9), timestamp: NOW - (9 - i) * 1000 }));
    // rising 0.005/s from 0.75: 0.755 at 1 s (no margin), 0.8 at 10 s (margin 0.18 → counts from 0.67)
    expect(forecastFromSignals(series(0.005), NOW, 1, 0.85).willOverload).to.equal(false);
    expect(forecastFromSignals(series(0.005), NOW, 10, 0.85).predictedLoad).to.be.closeTo(0.8, 1e-9);
    expect(forecastFromSignals(series(0.005), NOW, 10, 0.85).willOverload).to.equal(true);
    // flat at 0.75 or falling: below the threshold whatever the horizon
    expect(forecastFromSignals(series(0), NOW, 10, 0.85).willOverload).to.equal(false);
    expect(forecastFromSignals(series(-0.005), NOW, 10, 0.85).willOverload).to.equal(false);
    // at or above the threshold counts whatever the trend
    expect(
      forecastFromSignals(
        series(0).map((s) => ({ ...s, value: 0.9 })),
        NOW,
        10,
        0.85,
      ).willOverload,
    ).to.equal(true);
  });
});
