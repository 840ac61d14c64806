import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { candidateLoad, LeastLoadedStrategy } from '../../../src/routing/least-loaded.js';
import type { Candidate } from '../../../src/routing/strategy.js';
import { ctx, FakeScores, forbiddenRandom, tally } from './fakes.js';

describe('LeastLoadedStrategy', () => {
  it('picks the candidate with the fewest tasks in flight', () => {
    const list: Candidate[] = [
      { agentId: 'a', inFlight: 4 },
      { agentId: 'b', inFlight: 1 },
      { agentId: 'c', inFlight: 3 },
    ];
    expect(new LeastLoadedStrategy().select(list, ctx(new FakeScores(), forbiddenRandom)).agentId).to.equal('b');
  });

  it('compares inFlight / capacity when capacity is known', () => {
    const list: Candidate[] = [
      { agentId: 'small', inFlight: 1, capacity: 2 }, // 0.5
      { agentId: 'big', inFlight: 3, capacity: 10 }, // 0.3
    ];
    expect(new LeastLoadedStrategy().select(list, ctx(new FakeScores(), forbiddenRandom)).agentId).to.equal('big');
  });

  it('treats a capacity of 0 as full', () => {
    expect(candidateLoad({ agentId: 'z', inFlight: 0, capacity: 0 })).to.equal(Number.POSITIVE_INFINITY);
    const list: Candidate[] = [
      { agentId: 'none', inFlight: 0, capacity: 0 },
      { agentId: 'busy', inFlight: 9, capacity: 10 },
    ];
    expect(new LeastLoadedStrategy().select(list, ctx(new FakeScores(), forbiddenRandom)).agentId).to.equal('busy');
  });

  it('counts an unknown capacity as one slot', () => {
    expect(candidateLoad({ agentId: 'u', inFlight: 2 })).to.equal(2);
    expect(candidateLoad({ agentId: 'k', inFlight: 2, capacity: 4 })).to.equal(0.5);
  });

  it('spreads ties over every tied candidate, never the loaded one', () => {
    const list: Candidate[] = [
      { agentId: 'a', inFlight: 1, capacity: 4 },
      { agentId: 'b', inFlight: 0 },
      { agentId: 'c', inFlight: 5 },
      { agentId: 'd', inFlight: 0, capacity: 8 },
      { agentId: 'e', inFlight: 0 },
    ];
    const s = new LeastLoadedStrategy();
    const c = ctx(new FakeScores(), seededRandom(3));
    const counts = tally(3_000, () => s.select(list, c).agentId);
    expect([...counts.keys()].sort()).to.deep.equal(['b', 'd', 'e']);
    for (const id of ['b', 'd', 'e']) expect(counts.get(id)).to.be.within(850, 1_150);
  });
});
