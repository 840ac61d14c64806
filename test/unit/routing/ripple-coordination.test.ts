import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { RippleCoordinationStrategy } from '../../../src/routing/ripple-coordination.js';
import { candidates, ctx, FakeScores, forbiddenRandom, tally } from './fakes.js';

describe('RippleCoordinationStrategy', () => {
  it('picks the highest routing score and reports it', () => {
    const scores = FakeScores.live({ a: 0.4, b: 0.9, c: 0.6 });
    const choice = new RippleCoordinationStrategy().select(candidates('a', 'b', 'c'), ctx(scores, forbiddenRandom));
    expect(choice).to.deep.equal({ agentId: 'b', score: 0.9 });
  });

  it('asks for each candidate score exactly once', () => {
    const scores = FakeScores.live({ a: 0.4, b: 0.9, c: 0.6 });
    new RippleCoordinationStrategy().select(candidates('a', 'b', 'c'), ctx(scores, forbiddenRandom));
    expect(scores.routingScoreCalls).to.equal(3);
  });

  it('breaks ties uniformly at random, not always the first', () => {
    const scores = FakeScores.live({ a: 0.7, b: 0.2, c: 0.7, d: 0.7 });
    const s = new RippleCoordinationStrategy();
    const c = ctx(scores, seededRandom(11));
    const list = candidates('a', 'b', 'c', 'd');
    const counts = tally(3_000, () => s.select(list, c).agentId);
    expect(counts.get('b')).to.equal(undefined);
    for (const id of ['a', 'c', 'd']) expect(counts.get(id), id).to.be.within(850, 1_150);
  });

  it('treats scores within 1e-12 as tied, and a larger gap as not', () => {
    const s = new RippleCoordinationStrategy();
    const tied = FakeScores.live({ a: 0.7, b: 0.7 + 5e-13 });
    const c1 = ctx(tied, seededRandom(5));
    const counts = tally(200, () => s.select(candidates('a', 'b'), c1).agentId);
    expect(counts.get('a')).to.be.greaterThan(0);
    expect(counts.get('b')).to.be.greaterThan(0);

    const apart = FakeScores.live({ a: 0.7, b: 0.7 + 1e-9 });
    const c2 = ctx(apart, seededRandom(5));
    expect(tally(50, () => s.select(candidates('a', 'b'), c2).agentId).get('b')).to.equal(50);
  });

  it('reports the score of the tied agent it chose', () => {
    const scores = FakeScores.live({ a: 0.7, b: 0.7 + 5e-13 });
    const s = new RippleCoordinationStrategy();
    const c = ctx(scores, seededRandom(9));
    for (let i = 0; i < 50; i++) {
      const choice = s.select(candidates('a', 'b'), c);
      expect(choice.score).to.equal(scores.scores.get(choice.agentId));
    }
  });

  it('skips non-finite scores and throws when none is finite', () => {
    const s = new RippleCoordinationStrategy();
    const mixed = FakeScores.live({ a: Number.NaN, b: 0.1 });
    expect(s.select(candidates('a', 'b'), ctx(mixed, forbiddenRandom)).agentId).to.equal('b');
    const broken = FakeScores.live({ a: Number.NaN, b: Number.POSITIVE_INFINITY });
    expect(() => s.select(candidates('a', 'b'), ctx(broken, forbiddenRandom))).to.throw(/finite routing score/);
  });
});
