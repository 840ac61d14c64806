import { expect } from 'chai';
import { blend, dimensionScore, dimensionValue, freshness } from '../../../src/coordination/scoring.js';

describe('scoring', () => {
  it('freshness is 1 when new, 0 at expiry, 0.5 half way, and strictly decreasing', () => {
    expect(freshness(0)).to.equal(1);
    expect(freshness(-0.1)).to.equal(1);
    expect(freshness(0.5)).to.be.closeTo(0.5, 1e-12);
    expect(freshness(0.25)).to.be.closeTo(0.84375, 1e-12); // (1 − x)²(1 + 2x)
    expect(freshness(1)).to.equal(0);
    expect(freshness(2)).to.equal(0);
    let prev = freshness(0);
    for (let x = 0.05; x < 1; x += 0.05) {
      const f = freshness(x);
      expect(f).to.be.lessThan(prev);
      prev = f;
    }
  });

  it('inverts load, cost and latency only when asked', () => {
    expect(dimensionValue(0.2, true)).to.be.closeTo(0.8, 1e-12);
    expect(dimensionValue(0.2, false)).to.equal(0.2);
  });

  it('blends towards 0.5 by the weight', () => {
    expect(blend(1, 1)).to.equal(1);
    expect(blend(1, 0)).to.equal(0.5);
    expect(blend(0, 0.5)).to.equal(0.25);
  });

  it('scores a dimension from value, confidence and age', () => {
    const signal = { value: 1, confidence: 0.8, timestamp: 1000, expiresAt: 11_000 };
    expect(dimensionScore(signal, false, 1000)).to.be.closeTo(0.9, 1e-12);
    expect(dimensionScore(signal, false, 6000)).to.be.closeTo(0.5 + 0.8 * 0.5 * 0.5, 1e-12);
    expect(dimensionScore(signal, true, 1000)).to.be.closeTo(0.1, 1e-12);
    expect(dimensionScore(signal, false, 11_000)).to.equal(0.5);
    expect(dimensionScore(undefined, false, 1000)).to.equal(0.5);
  });
});
