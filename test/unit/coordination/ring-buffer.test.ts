import { expect } from 'chai';
import { RingBuffer } from '../../../src/coordination/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps items in arrival order and drops the oldest beyond capacity', () => {
    const rb = new RingBuffer<number>(3);
    expect(rb.push(1)).to.equal(undefined);
    rb.push(2);
    rb.push(3);
    expect(rb.push(4)).to.equal(1);
    expect(rb.push(5)).to.equal(2);
    expect(rb.size).to.equal(3);
    expect(rb.toArray()).to.deep.equal([3, 4, 5]);
    expect(rb.at(0)).to.equal(3);
    expect(rb.at(2)).to.equal(5);
    expect(rb.at(3)).to.equal(undefined);
  });

  it('shifts from the front and reuses freed slots', () => {
    const rb = new RingBuffer<number>(4);
    for (const n of [1, 2, 3]) rb.push(n);
    expect(rb.shift()).to.equal(1);
    expect(rb.peekFront()).to.equal(2);
    rb.push(4); // grows while head is not 0: must keep order
    rb.push(5);
    expect(rb.toArray()).to.deep.equal([2, 3, 4, 5]);
    expect(rb.push(6)).to.equal(2);
    expect(rb.toArray()).to.deep.equal([3, 4, 5, 6]);
    while (rb.size > 0) rb.shift();
    expect(rb.shift()).to.equal(undefined);
    expect(rb.peekFront()).to.equal(undefined);
    rb.push(7);
    expect(rb.toArray()).to.deep.equal([7]);
  });

  it('wraps correctly over many pushes and shifts', () => {
    const rb = new RingBuffer<number>(5);
    const model: number[] = [];
    for (let i = 0; i < 200; i++) {
      rb.push(i);
      model.push(i);
      if (model.length > 5) model.shift();
      if (i % 3 === 0) {
        expect(rb.shift()).to.equal(model.shift());
      }
      expect(rb.toArray()).to.deep.equal(model);
    }
  });

  it('rejects a capacity below 1', () => {
    expect(() => new RingBuffer(0)).to.throw(RangeError);
  });
});
