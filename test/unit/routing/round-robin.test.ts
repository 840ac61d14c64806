import { expect } from 'chai';
import { RoundRobinStrategy } from '../../../src/routing/round-robin.js';
import { candidates, ctx, forbiddenRandom } from './fakes.js';
import { FakeScores } from './fakes.js';

describe('RoundRobinStrategy', () => {
  const c = ctx(new FakeScores(), forbiddenRandom);

  it('cycles through the candidates in order', () => {
    const rr = new RoundRobinStrategy();
    const list = candidates('a', 'b', 'c');
    const picks = Array.from({ length: 7 }, () => rr.select(list, c).agentId);
    expect(picks).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('always returns the only candidate', () => {
    const rr = new RoundRobinStrategy();
    for (let i = 0; i < 5; i++) expect(rr.select(candidates('solo'), c).agentId).to.equal('solo');
  });

  it('carries on rotating when the list grows', () => {
    const rr = new RoundRobinStrategy();
    const small = candidates('a', 'b', 'c');
    expect([rr.select(small, c).agentId, rr.select(small, c).agentId]).to.deep.equal(['a', 'b']);
    const big = candidates('a', 'b', 'c', 'd', 'e');
    const picks = Array.from({ length: 5 }, () => rr.select(big, c).agentId);
    expect(picks).to.deep.equal(['c', 'd', 'e', 'a', 'b']);
  });

  it('stays in range and fair when the list shrinks', () => {
    const rr = new RoundRobinStrategy();
    const big = candidates('a', 'b', 'c', 'd', 'e');
    for (let i = 0; i < 4; i++) rr.select(big, c);
    const small = candidates('x', 'y');
    const picks = Array.from({ length: 6 }, () => rr.select(small, c).agentId);
    expect(picks.filter((p) => p === 'x')).to.have.length(3);
    expect(picks.filter((p) => p === 'y')).to.have.length(3);
    expect(picks[0]).to.not.equal(picks[1]);
  });

  it('keeps a separate rotation per instance', () => {
    const one = new RoundRobinStrategy();
    const two = new RoundRobinStrategy();
    const list = candidates('a', 'b');
    one.select(list, c);
    expect(two.select(list, c).agentId).to.equal('a');
  });
});
