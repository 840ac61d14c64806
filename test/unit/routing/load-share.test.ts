import { expect } from 'chai';
import { LoadShare } from '../../../src/routing/load-share.js';

describe('LoadShare', () => {
  it('reads 1 until a report has been compared with some load of its own', () => {
    const share = new LoadShare();
    expect(share.factor()).to.equal(1);
    share.report('a', 1, 0.5, 0);
    expect(share.factor()).to.equal(1);
  });

  it('learns the ratio of reported load to this router’s own utilization, fleet-wide', () => {
    const share = new LoadShare();
    // Eight routers sharing the agents: each report shows about 8× what this router holds there.
    for (let t = 1; t <= 200; t++) {
      share.report('a', t, 0.8, 0.1);
      share.report('b', t, 0.4, 0.05);
    }
    expect(share.factor()).to.be.closeTo(8, 1e-9);
  });

  it('is never below 1: an agent cannot look emptier than this router’s own count', () => {
    const share = new LoadShare();
    for (let t = 1; t <= 50; t++) share.report('liar', t, 0.05, 0.5);
    expect(share.factor()).to.equal(1);
  });

  it('counts each report once, by its time', () => {
    const share = new LoadShare();
    expect(share.isNew('a', 10)).to.equal(true);
    share.report('a', 10, 0.5, 0.5);
    expect(share.isNew('a', 10)).to.equal(false);
    expect(share.isNew('a', 11)).to.equal(true);
    expect(share.forget('a')).to.equal(true);
    expect(share.isNew('a', 10)).to.equal(true);
  });

  it('ignores broken values and remembers at most maxAgents report times', () => {
    const share = new LoadShare({ maxAgents: 2 });
    share.report('a', 1, Number.NaN, 0.1);
    expect(share.factor()).to.equal(1);
    share.report('b', 1, 0.5, 0.5);
    share.report('c', 1, 0.5, 0.5);
    expect(share.isNew('a', 1)).to.equal(true); // the oldest was dropped
    expect(share.isNew('c', 1)).to.equal(false);
  });

  it('refuses nonsense options', () => {
    expect(() => new LoadShare({ weight: 0 })).to.throw(TypeError);
    expect(() => new LoadShare({ weight: 2 })).to.throw(TypeError);
    expect(() => new LoadShare({ maxAgents: 0 })).to.throw(TypeError);
  });
});
