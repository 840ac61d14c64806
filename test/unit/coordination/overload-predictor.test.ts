import { expect } from 'chai';
import { FULL_CONFIDENCE_SAMPLES, predictOverload } from '../../../src/coordination/overload-predictor.js';

const NOW = 1_700_000_000_000;

describe('predictOverload (pure)', () => {
  it('reports no information for no samples', () => {
    expect(predictOverload([], NOW, 5, 0.3)).to.deep.equal({ willOverload: false, predictedLoad: 0.5, confidence: 0, samples: 0, horizonSeconds: 5 });
  });

  it('uses a single sample as is, with low confidence', () => {
    const p = predictOverload([{ value: 0.9, timestamp: NOW - 1000 }], NOW, 5, 0.85);
    expect(p).to.deep.equal({ willOverload: true, predictedLoad: 0.9, confidence: 1 / FULL_CONFIDENCE_SAMPLES, samples: 1, horizonSeconds: 5 });
  });

  it('extrapolates against real timestamps, not sample order', () => {
    // 0.01 per second, irregularly spaced: a per-index trend would predict far higher.
    const samples = [
      { value: 0.2, timestamp: NOW - 30_000 },
      { value: 0.21, timestamp: NOW - 29_000 },
      { value: 0.22, timestamp: NOW - 28_000 },
      { value: 0.5, timestamp: NOW },
    ];
    const p = predictOverload(samples, NOW, 5, 0.85);
    expect(p.predictedLoad).to.be.closeTo(0.55, 1e-9);
    expect(p.willOverload).to.equal(false);
    expect(p.confidence).to.be.closeTo(0.4, 1e-9); // 4/10 samples × R² = 1
    expect(p.samples).to.equal(4);
  });

  it('clamps to [0,1] and lowers confidence for a poor fit', () => {
    const rising = [0, 1, 2, 3].map((i) => ({ value: 0.7 + 0.1 * i, timestamp: NOW - (3 - i) * 1000 }));
    expect(predictOverload(rising, NOW, 60, 0.85).predictedLoad).to.equal(1);
    const falling = [0, 1, 2, 3].map((i) => ({ value: 0.3 - 0.1 * i, timestamp: NOW - (3 - i) * 1000 }));
    expect(predictOverload(falling, NOW, 60, 0.85).predictedLoad).to.equal(0);
    const noisy = [0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9].map((value, i) => ({ value, timestamp: NOW - (9 - i) * 1000 }));
    const p = predictOverload(noisy, NOW, 5, 0.85);
    expect(p.confidence).to.be.greaterThan(0).and.lessThan(0.1);
  });

  it('gives a flat series full fit and no trend', () => {
    const flat = Array.from({ length: 12 }, (_, i) => ({ value: 0.6, timestamp: NOW - i * 700 }));
    expect(predictOverload(flat, NOW, 5, 0.85)).to.deep.equal({ willOverload: false, predictedLoad: 0.6, confidence: 1, samples: 12, horizonSeconds: 5 });
  });

  it('sees no trend when all samples share one instant', () => {
    const p = predictOverload([{ value: 0.2, timestamp: NOW }, { value: 0.4, timestamp: NOW }], NOW, 5, 0.85);
    expect(p.predictedLoad).to.be.closeTo(0.3, 1e-12);
    expect(p.confidence).to.equal(0);
  });
});
