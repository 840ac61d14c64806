import { expect } from 'chai';
import { SignalTrust } from '../../../src/routing/signal-trust.js';

const ln = Math.log;

describe('SignalTrust', () => {
  it('starts every agent at the initial trust', () => {
    expect(new SignalTrust().get('a')).to.equal(0.5);
    expect(new SignalTrust({ initial: 1 }).get('a')).to.equal(1);
  });

  it('moves towards 1 when a claim held within the tolerance', () => {
    const t = new SignalTrust({ initial: 0.5, rate: 0.2, tolerance: 1.25 });
    t.check('a', ln(0.5), ln(0.6), 1); // claimed 2× faster than the fleet, observed 1.67×: within 1.25
    expect(t.get('a')).to.be.closeTo(0.6, 1e-12);
  });

  it('moves towards 0 when a rosy claim met a worse reality, in proportion to the miss', () => {
    const t = new SignalTrust({ initial: 1, rate: 0.2, tolerance: 1.25, span: 3 });
    t.check('liar', ln(0.5), ln(1.5), 1); // error ln 3: (ln 3 − ln 1.25) / ln 3 ≈ 0.80 wrong
    const verdict = 1 - (ln(3) - ln(1.25)) / ln(3);
    expect(t.get('liar')).to.be.closeTo(1 + 0.2 * (verdict - 1), 1e-12);
    t.check('liar', ln(0.5), ln(10), 1); // wholly wrong
    expect(t.get('liar')).to.be.lessThan(0.8);
  });

  it('holds only the direction of a claim against it', () => {
    const t = new SignalTrust({ initial: 0.5, rate: 0.5 });
    t.check('gloomy-right', ln(2), ln(4), 1); // said slow, was even slower: not wrong
    expect(t.get('gloomy-right')).to.equal(0.75);
    t.check('gloomy-wrong', ln(2), ln(0.25), 1); // said slow, was fast
    expect(t.get('gloomy-wrong')).to.be.lessThan(0.5);
    t.check('rosy-right', ln(0.5), ln(0.2), 1); // said fast, was even faster
    expect(t.get('rosy-right')).to.equal(0.75);
  });

  it('weighs a check by the strength of the claim; a neutral claim checks nothing', () => {
    const t = new SignalTrust({ initial: 1, rate: 0.2, span: 3 });
    t.check('a', 0, ln(5), 0);
    expect(t.get('a')).to.equal(1);
    t.check('b', ln(0.9), ln(10), 0.1);
    expect(t.get('b')).to.be.closeTo(1 - 0.2 * 0.1, 1e-12); // wholly wrong, at a tenth of the rate
  });

  it('ignores non-finite inputs', () => {
    const t = new SignalTrust();
    t.check('a', Number.NaN, 0, 1);
    t.check('a', 0.1, Number.POSITIVE_INFINITY, 1);
    expect(t.get('a')).to.equal(0.5);
  });

  it('keeps at most maxAgents; a dropped agent reverts to the initial trust', () => {
    const t = new SignalTrust({ maxAgents: 1, initial: 0.5, rate: 1 });
    t.check('a', ln(0.5), ln(0.5), 1);
    expect(t.get('a')).to.equal(1);
    t.check('b', ln(0.5), ln(0.5), 1);
    expect(t.get('a')).to.equal(0.5);
    expect(t.get('b')).to.equal(1);
  });

  it('rejects nonsensical options', () => {
    expect(() => new SignalTrust({ initial: 2 })).to.throw(TypeError);
    expect(() => new SignalTrust({ rate: 0 })).to.throw(TypeError);
    expect(() => new SignalTrust({ span: 1 })).to.throw(TypeError);
  });
});
