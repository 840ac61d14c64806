import { expect } from 'chai';
import { DesiredWindow } from '../../../../src/pool/scaling/desired-window.js';

describe('DesiredWindow', () => {
  it('yields the counts of the window, whose maximum is first', () => {
    const w = new DesiredWindow();
    w.record(0, 5);
    w.record(10, 3);
    w.record(20, 4); // evicts 3: it can never be the maximum again
    expect(w.recent(20, 100)).to.deep.equal([5, 4]);
    expect(w.recent(100, 100)).to.deep.equal([5, 4]); // window is inclusive
    expect(w.recent(101, 100)).to.deep.equal([4]);
    expect(w.recent(121, 100)).to.deep.equal([]);
  });

  it('stays small however often the same counts are recorded', () => {
    const w = new DesiredWindow();
    for (let t = 0; t < 10_000; t++) w.record(t, t % 3);
    expect(w.size).to.be.at.most(3);
    expect(Math.max(...w.recent(9_999, 5))).to.equal(2);
  });
});
