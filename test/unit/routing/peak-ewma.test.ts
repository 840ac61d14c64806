import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { ObservedStats } from '../../../src/routing/observed-stats.js';
import { peakEwmaCost, PeakEwmaStrategy } from '../../../src/routing/peak-ewma.js';
import type { Candidate } from '../../../src/routing/strategy.js';
import { ctx, FakeScores, observeMany, tally } from './fakes.js';

describe('PeakEwmaStrategy', () => {
  const pair = (a: Partial<Candidate> = {}, b: Partial<Candidate> = {}): Candidate[] => [
    { agentId: 'a', inFlight: 0, ...a },
    { agentId: 'b', inFlight: 0, ...b },
  ];

  it('costs an agent its peak EWMA latency × (inFlight + 1), the default RTT when unmeasured', () => {
    const observed = new ObservedStats({ defaultRttMs: 300 });
    observeMany(observed, 'a', 3, { latencyMs: 100, everyMs: 0 });
    const c = ctx(new FakeScores(), seededRandom(1), observed, 0);
    expect(peakEwmaCost({ agentId: 'a', inFlight: 2 }, c)).to.be.closeTo(300, 1e-9);
    expect(peakEwmaCost({ agentId: 'b', inFlight: 0 }, c)).to.equal(300);
  });

  it('prefers the faster agent, until it has enough in flight', () => {
    const observed = new ObservedStats();
    observeMany(observed, 'a', 5, { latencyMs: 100, everyMs: 0 });
    observeMany(observed, 'b', 5, { latencyMs: 300, everyMs: 0 });
    const s = new PeakEwmaStrategy();
    const c = ctx(new FakeScores(), seededRandom(2), observed, 0);
    expect(tally(100, () => s.select(pair({ inFlight: 1 }), c).agentId).get('a')).to.equal(100); // 200 < 300
    expect(tally(100, () => s.select(pair({ inFlight: 3 }), c).agentId).get('b')).to.equal(100); // 400 > 300
  });

  it('avoids an agent that fails fast', () => {
    const observed = new ObservedStats();
    observeMany(observed, 'ok', 10, { latencyMs: 200 });
    observeMany(observed, 'sink', 10, { latencyMs: 1, outcome: 'failed' });
    const s = new PeakEwmaStrategy();
    const c = ctx(new FakeScores(), seededRandom(3), observed, 1_000);
    const list: Candidate[] = [
      { agentId: 'sink', inFlight: 0 },
      { agentId: 'ok', inFlight: 1 },
    ];
    expect(tally(100, () => s.select(list, c).agentId).get('ok')).to.equal(100);
  });

  it('jumps on one slow sample (peak sensitivity)', () => {
    const observed = new ObservedStats();
    observeMany(observed, 'a', 20, { latencyMs: 100 });
    observeMany(observed, 'b', 20, { latencyMs: 150 });
    observed.record({ agentId: 'a', latencyMs: 2_000, outcome: 'completed', at: 2_000 });
    const s = new PeakEwmaStrategy();
    const c = ctx(new FakeScores(), seededRandom(4), observed, 2_000);
    expect(tally(100, () => s.select(pair(), c).agentId).get('b')).to.equal(100);
  });

  it('breaks ties at random, not always the first', () => {
    const s = new PeakEwmaStrategy();
    const c = ctx(new FakeScores(), seededRandom(5));
    const counts = tally(2_000, () => s.select(pair(), c).agentId);
    expect(counts.get('a')).to.be.within(850, 1_150);
    expect(counts.get('b')).to.be.within(850, 1_150);
  });

  it('samples two of many, so the costliest agent is never picked', () => {
    const observed = new ObservedStats();
    for (let i = 0; i < 6; i++) observeMany(observed, `a${i}`, 3, { latencyMs: 100 * (i + 1), everyMs: 0 });
    const s = new PeakEwmaStrategy();
    const c = ctx(new FakeScores(), seededRandom(6), observed, 0);
    const list: Candidate[] = Array.from({ length: 6 }, (_, i) => ({ agentId: `a${i}`, inFlight: 0 }));
    const counts = tally(3_000, () => s.select(list, c).agentId);
    expect(counts.get('a5')).to.equal(undefined);
    expect(counts.get('a4')).to.be.greaterThan(0); // not an argmax: a4 wins when sampled with a5
  });
});
