import { expect } from 'chai';
import { SimClock } from '../../../bench/sim/sim-clock.js';

describe('bench/sim SimClock', () => {
  it('knows the next due timer across clears and intervals, and steps one instant at a time', () => {
    const clock = new SimClock(0);
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push(`a@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    const tick = clock.setInterval(() => fired.push(`i@${clock.now()}`), 15);
    expect(clock.nextAt()).to.equal(10);
    clock.clearTimeout(a);
    expect(clock.step()).to.equal(true);
    expect(fired).to.deep.equal(['b@10']);
    expect(clock.nextAt()).to.equal(15);
    clock.step();
    expect(clock.nextAt()).to.equal(30); // the interval again; the cleared timeout is gone
    clock.step();
    clock.clearInterval(tick);
    clock.setTimeout(() => fired.push(`now@${clock.now()}`), 0);
    clock.step();
    expect(fired).to.deep.equal(['b@10', 'i@15', 'i@30', 'now@30']);
    expect(clock.nextAt()).to.equal(undefined);
    expect(clock.step()).to.equal(false);
  });
});
