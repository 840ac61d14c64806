import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { P2CStrategy } from '../../../src/routing/p2c.js';
import type { Candidate } from '../../../src/routing/strategy.js';
import { ctx, FakeScores, forbiddenRandom, tally } from './fakes.js';

describe('P2CStrategy', () => {
  it('returns the only candidate without drawing', () => {
    expect(new P2CStrategy().select([{ agentId: 'solo', inFlight: 9 }], ctx(new FakeScores(), forbiddenRandom)).agentId).to.equal('solo');
  });

  it('of two candidates, always picks the less loaded', () => {
    const s = new P2CStrategy();
    const c = ctx(new FakeScores(), seededRandom(4));
    const list: Candidate[] = [
      { agentId: 'busy', inFlight: 3 },
      { agentId: 'idle', inFlight: 1 },
    ];
    expect(tally(500, () => s.select(list, c).agentId)).to.deep.equal(new Map([['idle', 500]]));
  });

  it('never picks the most loaded candidate, and spreads over the others by sampling', () => {
    const s = new P2CStrategy();
    const c = ctx(new FakeScores(), seededRandom(5));
    const list: Candidate[] = [0, 1, 2, 3, 4].map((i) => ({ agentId: `a${i}`, inFlight: i }));
    const counts = tally(10_000, () => s.select(list, c).agentId);
    expect(counts.get('a4')).to.equal(undefined);
    // a_i wins a pair when the other sampled one is more loaded: (4 − i) of the 10 pairs.
    for (let i = 0; i < 4; i++) expect(counts.get(`a${i}`), `a${i}`).to.be.within(((4 - i) / 10) * 10_000 - 400, ((4 - i) / 10) * 10_000 + 400);
  });

  it('compares load relative to capacity when it is known', () => {
    const s = new P2CStrategy();
    const c = ctx(new FakeScores(), seededRandom(6));
    const list: Candidate[] = [
      { agentId: 'small', inFlight: 1, capacity: 2 }, // 0.5
      { agentId: 'big', inFlight: 3, capacity: 10 }, // 0.3
    ];
    expect(tally(200, () => s.select(list, c).agentId).get('big')).to.equal(200);
  });

  it('breaks ties with a coin flip, not always the first', () => {
    const s = new P2CStrategy();
    const c = ctx(new FakeScores(), seededRandom(7));
    const counts = tally(
      4_000,
      () =>
        s.select(
          [
            { agentId: 'a', inFlight: 2 },
            { agentId: 'b', inFlight: 2 },
          ],
          c,
        ).agentId,
    );
    expect(counts.get('a')).to.be.within(1_800, 2_200);
    expect(counts.get('b')).to.be.within(1_800, 2_200);
  });

  it('is reproducible for a given seed', () => {
    const list: Candidate[] = Array.from({ length: 20 }, (_, i) => ({ agentId: `a${i}`, inFlight: i % 4 }));
    const run = () => {
      const s = new P2CStrategy();
      const c = ctx(new FakeScores(), seededRandom(99));
      return Array.from({ length: 50 }, () => s.select(list, c).agentId);
    };
    expect(run()).to.deep.equal(run());
  });
});
