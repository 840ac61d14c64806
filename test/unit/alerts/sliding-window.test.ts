import { expect } from 'chai';
import { SlidingWindow } from '../../../src/alerts/sliding-window.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('SlidingWindow', () => {
  it('sums vectors added within the window', () => {
    const clock = new VirtualClock();
    const w = new SlidingWindow({ clock }, { windowMs: 60_000, slots: 6, width: 2 });
    w.add([1, 10]);
    clock.advance(25_000);
    w.add([2, 20]);
    w.add([3]);
    expect(w.totals()).to.deep.equal([6, 30]);
  });

  it('drops data once it is older than the window, one bucket at a time', () => {
    const clock = new VirtualClock(0);
    const w = new SlidingWindow({ clock }, { windowMs: 60_000, slots: 6 });
    w.add([1]); // bucket 0
    clock.advance(30_000);
    w.add([2]); // bucket 3
    clock.advance(29_999); // t = 59.999 s: bucket 5, both still inside
    expect(w.totals()).to.deep.equal([3]);
    clock.advance(1); // t = 60 s: bucket 6, bucket 0 has left
    expect(w.totals()).to.deep.equal([2]);
    clock.advance(30_000); // bucket 9: bucket 3 has left too
    expect(w.totals()).to.deep.equal([0]);
  });

  it('keeps fixed memory: buckets are reused however long it runs', () => {
    const clock = new VirtualClock(0);
    const w = new SlidingWindow({ clock }, { windowMs: 10_000, slots: 10 });
    for (let i = 0; i < 100_000; i++) {
      w.add([1]);
      clock.advance(100);
    }
    // Now t = 10,000 s (bucket 10,000 is empty): the window is buckets 9,991..10,000, ten entries each.
    expect(w.totals()).to.deep.equal([90]);
    expect((w as unknown as { data: Float64Array }).data.length).to.equal(10);
  });

  it('ignores buckets stamped in the future (the wall clock stepped back)', () => {
    let now = 100_000;
    const clock = { now: () => now, elapsed: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout() {}, setInterval: () => ({ id: 0 }), clearInterval() {} };
    const w = new SlidingWindow({ clock }, { windowMs: 10_000, slots: 10 });
    w.add([5]);
    now = 50_000;
    w.add([1]);
    expect(w.totals()).to.deep.equal([1]);
  });
});
