import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { RandomStrategy } from '../../../src/routing/random.js';
import { candidates, ctx, FakeScores, scriptedRandom, tally } from './fakes.js';

describe('RandomStrategy', () => {
  const list = candidates('a', 'b', 'c', 'd');

  it('maps ctx.random onto the candidate list', () => {
    const s = new RandomStrategy();
    expect(s.select(list, ctx(new FakeScores(), scriptedRandom(0))).agentId).to.equal('a');
    expect(s.select(list, ctx(new FakeScores(), scriptedRandom(0.5))).agentId).to.equal('c');
    expect(s.select(list, ctx(new FakeScores(), scriptedRandom(0.999))).agentId).to.equal('d');
  });

  it('stays in range when a Random breaks its contract and returns 1', () => {
    expect(new RandomStrategy().select(list, ctx(new FakeScores(), scriptedRandom(1))).agentId).to.equal('d');
  });

  it('is uniform over many seeded calls', () => {
    const s = new RandomStrategy();
    const c = ctx(new FakeScores(), seededRandom(42));
    const counts = tally(40_000, () => s.select(list, c).agentId);
    for (const id of ['a', 'b', 'c', 'd']) expect(counts.get(id)).to.be.within(9_500, 10_500);
  });

  it('is reproducible for a given seed', () => {
    const run = () => {
      const s = new RandomStrategy();
      const c = ctx(new FakeScores(), seededRandom(7));
      return Array.from({ length: 20 }, () => s.select(list, c).agentId);
    };
    expect(run()).to.deep.equal(run());
  });
});
