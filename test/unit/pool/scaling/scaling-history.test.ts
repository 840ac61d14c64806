import { expect } from 'chai';
import { ScalingHistory } from '../../../../src/pool/scaling/scaling-history.js';

describe('ScalingHistory', () => {
  it('keeps the last `capacity` items, newest first', () => {
    const h = new ScalingHistory<number>(3);
    expect(h.latest(10)).to.deep.equal([]);
    h.push(1);
    h.push(2);
    expect(h.latest(10)).to.deep.equal([2, 1]);
    for (const n of [3, 4, 5]) h.push(n);
    expect(h.size).to.equal(3);
    expect(h.latest(10)).to.deep.equal([5, 4, 3]);
    expect(h.latest(2)).to.deep.equal([5, 4]);
    expect(h.latest(0)).to.deep.equal([]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new ScalingHistory(0)).to.throw(RangeError);
  });
});
