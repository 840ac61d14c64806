import { expect } from 'chai';
import { Backoff, backoffDelay } from '../../../src/client/index.js';

describe('client/backoff', () => {
  const opts = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

  it('grows by the factor and stops at the cap', () => {
    const mid = () => 0.5; // jitter factor exactly 1
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, opts, mid))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads each delay by ±jitter, never beyond the cap', () => {
    expect(backoffDelay(1, opts, () => 0)).to.equal(100);
    expect(backoffDelay(1, opts, () => 0.999999)).to.equal(300);
    expect(backoffDelay(5, opts, () => 0.999999)).to.equal(1000);
    expect(backoffDelay(0, { ...opts, jitter: 0 }, () => 0)).to.equal(100);
  });

  it('Backoff counts attempts and starts over after reset()', () => {
    const b = new Backoff({ ...opts, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).to.deep.equal([100, 200, 400]);
    expect(b.attempts).to.equal(3);
    b.reset();
    expect(b.next()).to.equal(100);
  });
});
