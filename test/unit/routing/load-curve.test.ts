import { expect } from 'chai';
import { LoadCurve } from '../../../src/routing/load-curve.js';

const linear = (u: number): number => 1 + 2 * u;

describe('LoadCurve', () => {
  it('says what its prior says until it has samples, and 1 at no load', () => {
    const curve = new LoadCurve(linear);
    expect(curve.factor(0)).to.equal(1);
    expect(curve.factor(-1)).to.equal(1);
    for (const u of [0.125, 0.25, 0.5, 1]) expect(curve.factor(u)).to.be.closeTo(linear(u), 1e-9); // knots
    expect(curve.factor(0.3)).to.be.within(linear(0.25), linear(0.375));
    expect(curve.factor(3)).to.be.closeTo(linear(1), 1e-9); // flat beyond u = 1
  });

  it('learns a curve that stays flat while workers are free and rises once they are taken', () => {
    const curve = new LoadCurve(linear);
    // Agents that run half their slots at once: no stretch below u = 0.5, then ×1 + (queue ahead).
    // (n slots taken of 8, 4 workers: the n-th task waits once n >= 4.)
    for (let k = 0; k < 2_000; k++) {
      const n = 1 + (k % 7);
      curve.learn(n / 8, Math.log(n < 4 ? 1 : 1 + (n - 3) / 4));
    }
    expect(curve.factor(2 / 8)).to.be.closeTo(1, 0.01);
    expect(curve.factor(3 / 8)).to.be.closeTo(1, 0.01);
    expect(curve.factor(7 / 8)).to.be.closeTo(2, 0.02);
    expect(curve.factor(3 / 8)).to.be.below(linear(3 / 8) / 1.5); // flatter than the prior below the knee
  });

  it('never decreases with load, and one thinly sampled high bin does not lift the well-sampled bins above it', () => {
    const curve = new LoadCurve(() => 1);
    for (let n = 0; n < 500; n++) for (const u of [0.375, 0.5, 0.625]) curve.learn(u, Math.log(1.2));
    curve.learn(0.25, Math.log(20)); // one wild sample at an otherwise empty knot
    let previous = 1;
    for (let u = 0; u <= 1; u += 0.01) {
      expect(curve.factor(u)).to.be.at.least(previous - 1e-12);
      previous = curve.factor(u);
    }
    expect(curve.factor(0.5)).to.be.below(1.3);
  });

  it('ignores non-finite samples and samples at no load', () => {
    const curve = new LoadCurve(linear);
    curve.learn(0.5, Number.NaN);
    curve.learn(0, Math.log(10));
    curve.learn(Number.NaN, Math.log(10));
    expect(curve.factor(0.625)).to.be.closeTo(linear(0.625), 1e-9);
  });

  it('rejects nonsensical options', () => {
    expect(() => new LoadCurve(linear, { bins: 0 })).to.throw(TypeError);
    expect(() => new LoadCurve(linear, { weight: 0 })).to.throw(TypeError);
    expect(() => new LoadCurve(linear, { weight: 2 })).to.throw(TypeError);
  });
});
