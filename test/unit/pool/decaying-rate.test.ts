import { expect } from 'chai';
import { DecayingRate } from '../../../src/pool/decaying-rate.js';

describe('DecayingRate', () => {
  it('reads a steady stream’s rate once several time constants have passed', () => {
    const r = new DecayingRate(1000);
    for (let t = 0; t <= 10_000; t += 100) r.add(t);
    expect(r.read(10_000)).to.be.closeTo(10, 0.6);
    expect(r.mass(10_000)).to.be.closeTo(10, 0.6);
    expect(r.events).to.equal(101);
  });

  it('decays by e per time constant without events, and reads 0 before any', () => {
    const r = new DecayingRate(2000);
    expect(r.read(0)).to.equal(0);
    r.add(0);
    const first = r.read(0);
    expect(first).to.be.closeTo(0.5, 1e-12);
    expect(r.read(2000)).to.be.closeTo(first / Math.E, 1e-12);
    expect(r.read(-5), 'a read before the last event does not grow it').to.equal(first);
  });

  it('weights events, follows a step in the rate within about one time constant, and refuses a non-positive constant', () => {
    const r = new DecayingRate(1000);
    for (let t = 0; t <= 5000; t += 200) r.add(t); // 5/s
    for (let t = 5050; t <= 6000; t += 50) r.add(t); // 20/s for one τ
    expect(r.read(6000)).to.be.within(12, 16);
    const w = new DecayingRate(1000);
    w.add(0, 0.25);
    expect(w.read(0)).to.be.closeTo(0.25, 1e-12);
    expect(() => new DecayingRate(0)).to.throw(RangeError);
  });
});
