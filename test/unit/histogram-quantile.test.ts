import { expect } from 'chai';
import { histogramQuantile } from '../../src/observability/histogram-quantile.js';

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.2, count: 30 },
    { le: 0.4, count: 40 },
    { le: Number.POSITIVE_INFINITY, count: 40 },
  ];

  it('interpolates inside the bucket holding the rank', () => {
    expect(histogramQuantile(0.25, buckets)).to.be.closeTo(0.1, 1e-12);
    expect(histogramQuantile(0.5, buckets)).to.be.closeTo(0.15, 1e-12);
    expect(histogramQuantile(0.875, buckets)).to.be.closeTo(0.3, 1e-12);
  });

  it('starts the lowest bucket at 0', () => {
    expect(histogramQuantile(0.125, buckets)).to.be.closeTo(0.05, 1e-12);
  });

  it('answers the highest finite bound for ranks in +Inf, and 0 with no observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 5 },
      ]),
    ).to.equal(1);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).to.equal(0);
  });
});
