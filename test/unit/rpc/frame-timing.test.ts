import { expect } from 'chai';
import { FrameTiming } from '../../../src/rpc/frame-timing.js';

describe('FrameTiming (the daemon’s own time on one frame)', () => {
  it('reports arrival to reply minus the waits, once the reply is out', () => {
    let ms = 100;
    const frame = new FrameTiming(() => ms);
    expect(frame.receivedAt).to.equal(100);
    const reports: number[] = [];
    frame.whenReplied((own) => reports.push(own));
    ms += 2;
    frame.waited(30);
    ms += 30 + 1.5;
    expect(reports, 'nothing before the reply').to.deep.equal([]);
    frame.replied();
    expect(reports).to.deep.equal([3.5]);
    frame.replied();
    expect(reports, 'once').to.have.length(1);
  });

  it('never reports a negative time when concurrent waits overlap', () => {
    let ms = 0;
    const frame = new FrameTiming(() => ms, 0);
    let own = -1;
    frame.whenReplied((o) => (own = o));
    frame.waited(10);
    frame.waited(10);
    ms = 12;
    frame.replied();
    expect(own).to.equal(0);
  });

  it('costs nothing when no handler asked', () => {
    let calls = 0;
    const frame = new FrameTiming(() => ++calls);
    frame.replied();
    expect(calls).to.equal(1);
  });
});
