import { expect } from 'chai';
import { systemClock } from '../../../src/time/clock.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('Clock.elapsed', () => {
  it('VirtualClock: starts at 0 and moves only with advance, by exactly as much', () => {
    const clock = new VirtualClock(5_000);
    expect(clock.elapsed()).to.equal(0);
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.elapsed()), 40);
    clock.advance(100);
    expect(seen).to.deep.equal([40]);
    expect(clock.elapsed()).to.equal(100);
    clock.advanceTo(1_000); // earlier than now: no move
    expect(clock.elapsed()).to.equal(100);
    expect(clock.now() - clock.elapsed()).to.equal(5_000);
  });

  it('systemClock: never goes back between reads and is independent of the wall clock origin', () => {
    let last = systemClock.elapsed();
    for (let i = 0; i < 1000; i++) {
      const t = systemClock.elapsed();
      expect(t).to.be.at.least(last);
      last = t;
    }
    expect(systemClock.now() - systemClock.elapsed()).to.be.greaterThan(1_000_000_000_000);
  });
});
