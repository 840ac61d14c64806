import { expect } from 'chai';
import { DispatchLog } from '../../../src/routing/dispatch-log.js';

describe('DispatchLog', () => {
  it('finds the choice that sent an attempt by the attempt’s start', () => {
    const log = new DispatchLog();
    log.chose('a', 1_000, 0, 0);
    log.chose('a', 1_500, 3, 0.375);
    expect(log.find('a', 1_500)).to.deep.equal({ inFlight: 3, utilization: 0.375 });
    expect(log.find('a', 1_002)).to.deep.equal({ inFlight: 0, utilization: 0 }); // within 5 ms
  });

  it('matches nothing beyond the tolerance, for another agent, or for a non-finite start', () => {
    const log = new DispatchLog({ toleranceMs: 5 });
    log.chose('a', 1_000, 1, 0.25);
    expect(log.find('a', 1_006)).to.equal(undefined);
    expect(log.find('b', 1_000)).to.equal(undefined);
    expect(log.find('a', Number.NaN)).to.equal(undefined);
  });

  it('takes the closest of several choices within the tolerance', () => {
    const log = new DispatchLog({ toleranceMs: 10 });
    log.chose('a', 100, 1, 0.1);
    log.chose('a', 106, 2, 0.2);
    expect(log.find('a', 104)).to.deep.equal({ inFlight: 2, utilization: 0.2 });
  });

  it('remembers only the newest perAgent choices of each agent, and at most maxAgents agents', () => {
    const log = new DispatchLog({ perAgent: 2, maxAgents: 2 });
    log.chose('a', 100, 1, 0.1);
    log.chose('a', 200, 2, 0.2);
    log.chose('a', 300, 3, 0.3); // overwrites the choice at 100
    expect(log.find('a', 100)).to.equal(undefined);
    expect(log.find('a', 300)?.inFlight).to.equal(3);
    log.chose('b', 100, 0, 0);
    log.chose('c', 100, 0, 0); // drops a, the least recently added agent
    expect(log.find('a', 300)).to.equal(undefined);
    expect(log.find('c', 100)?.inFlight).to.equal(0);
  });

  it('rejects nonsensical options', () => {
    expect(() => new DispatchLog({ perAgent: 0 })).to.throw(TypeError);
    expect(() => new DispatchLog({ perAgent: 1.5 })).to.throw(TypeError);
    expect(() => new DispatchLog({ toleranceMs: -1 })).to.throw(TypeError);
  });
});
