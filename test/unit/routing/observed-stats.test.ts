import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { DEFAULT_OBSERVED_STATS_OPTIONS, ObservedStats } from '../../../src/routing/observed-stats.js';
import type { Observation } from '../../../src/routing/strategy.js';
import { observeMany } from './fakes.js';

const ok = (agentId: string, latencyMs: number, at: number): Observation => ({ agentId, latencyMs, outcome: 'completed', at });
const fail = (agentId: string, latencyMs: number, at: number, outcome: Observation['outcome'] = 'failed'): Observation => ({ agentId, latencyMs, outcome, at });

describe('ObservedStats', () => {
  it('reads an agent never observed as unmeasured: default RTT, no failures', () => {
    const s = new ObservedStats({ defaultRttMs: 250 });
    expect(s.has('a', 0)).to.equal(false);
    expect(s.peakLatencyMs('a', 0)).to.equal(250);
    expect(s.typicalLatencyMs('a', 0)).to.equal(250);
    expect(s.referenceLatencyMs()).to.equal(250);
    expect(s.failureRate('a', 0)).to.equal(0);
    expect(s.failureLatencyMs('a')).to.equal(0);
    expect(s.get('a', 0)).to.equal(undefined);
  });

  describe('peak-sensitive EWMA', () => {
    const tau = DEFAULT_OBSERVED_STATS_OPTIONS.decayMs;

    it('takes the first sample as is and jumps to a higher one at once', () => {
      const s = new ObservedStats();
      s.record(ok('a', 100, 0));
      expect(s.peakLatencyMs('a', 0)).to.equal(100);
      s.record(ok('a', 400, 1));
      expect(s.peakLatencyMs('a', 1)).to.equal(400);
    });

    it('blends a lower sample in with weight 1 − exp(−Δt/τ)', () => {
      const s = new ObservedStats();
      s.record(ok('a', 100, 0));
      s.record(ok('a', 50, tau));
      const w = Math.exp(-1);
      expect(s.peakLatencyMs('a', tau)).to.be.closeTo(100 * w + 50 * (1 - w), 1e-9);

      const quick = new ObservedStats();
      quick.record(ok('a', 100, 0));
      quick.record(ok('a', 50, 10)); // 10 ms later: the low sample barely counts
      expect(quick.peakLatencyMs('a', 10)).to.be.closeTo(100 * Math.exp(-10 / tau) + 50 * (1 - Math.exp(-10 / tau)), 1e-9);
      expect(quick.peakLatencyMs('a', 10)).to.be.above(99.9);
    });

    it('decays towards 0 as it is read later, as Finagle and Linkerd read it', () => {
      const s = new ObservedStats();
      s.record(ok('a', 100, 0));
      expect(s.peakLatencyMs('a', tau)).to.be.closeTo(100 * Math.exp(-1), 1e-9);
      expect(s.peakLatencyMs('a', 2 * tau)).to.be.closeTo(100 * Math.exp(-2), 1e-9);
    });

    it('counts a fast failure as a penalty, never as a fast answer', () => {
      const s = new ObservedStats({ failurePenalty: 4 });
      observeMany(s, 'ok', 5, { latencyMs: 100 });
      s.record(fail('sink', 1, 500));
      expect(s.peakLatencyMs('sink', 500)).to.be.closeTo(400, 1e-9); // 4 × the 100 ms reference
      s.record(fail('slow-fail', 2_000, 500, 'timeout'));
      expect(s.peakLatencyMs('slow-fail', 500)).to.equal(2_000); // its own latency when larger
    });
  });

  describe('failure rate', () => {
    it('counts failed, timeout and lost attempts; the first ones count fully', () => {
      const s = new ObservedStats({ sampleWeight: 0.2 });
      s.record(fail('a', 1, 0, 'failed'));
      expect(s.failureRate('a', 0)).to.be.closeTo(0.5, 1e-12);
      s.record(fail('a', 1, 0, 'timeout'));
      expect(s.failureRate('a', 0)).to.be.closeTo(0.5 + 0.5 / 3, 1e-12);
      s.record(fail('a', 1, 0, 'lost'));
      expect(s.failureRate('a', 0)).to.be.closeTo(0.75, 1e-12);
      s.record(ok('a', 10, 0)); // weight floored at 0.2 from the 4th attempt on
      expect(s.failureRate('a', 0)).to.be.closeTo(0.75 * 0.8, 1e-12);
    });

    it('fades towards 0 while the agent is not observed', () => {
      const s = new ObservedStats({ stalenessMs: 1_000 });
      s.record(fail('a', 1, 0));
      expect(s.failureRate('a', 1_000)).to.be.closeTo(0.5 * Math.exp(-1), 1e-12);
    });

    it('keeps an EWMA of how long failures take', () => {
      const s = new ObservedStats({ sampleWeight: 0.2 });
      s.record(fail('a', 100, 0));
      expect(s.failureLatencyMs('a')).to.equal(100);
      s.record(fail('a', 300, 1));
      expect(s.failureLatencyMs('a')).to.equal(200); // weight 1/2 for the second
    });
  });

  describe('typical latency', () => {
    it('only learns from successes', () => {
      const s = new ObservedStats();
      s.record(ok('a', 100, 0));
      s.record(fail('a', 1, 1));
      expect(s.typicalLatencyMs('a', 1)).to.be.closeTo(100, 1e-9);
      expect(s.get('a', 1)).to.deep.include({ successes: 1, failures: 1 });
    });

    it('is a log-domain EWMA: the first samples count fully, then with latencyWeight', () => {
      const s = new ObservedStats({ latencyWeight: 0.1 });
      s.record(ok('a', 100, 0));
      s.record(ok('a', 400, 1)); // weight 1/2: the geometric mean
      expect(s.get('a', 1)!.successes).to.equal(2);
      // One agent alone: nothing to compare it with, so it reads as the fleet reference itself.
      expect(s.typicalLatencyMs('a', 1)).to.be.closeTo(s.referenceLatencyMs(), 1e-9);
      expect(s.referenceLatencyMs()).to.be.closeTo(200, 1e-9);
    });

    it('reads identical agents alike however noisy their samples (shrinkage towards the fleet)', () => {
      const s = new ObservedStats();
      const random = seededRandom(21);
      const lognormal = (median: number) => median * Math.exp(Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next()));
      // 12 identical agents, lognormal samples with σ = 1: their raw EWMAs end up about 2.5× apart.
      const ids = Array.from({ length: 12 }, (_, i) => `a${i}`);
      let at = 0;
      for (let i = 0; i < 60; i++) for (const id of ids) s.record(ok(id, lognormal(1_000), (at += 10)));
      const typical = ids.map((id) => s.typicalLatencyMs(id, at));
      expect(Math.max(...typical) / Math.min(...typical)).to.be.below(1.2);

      for (let i = 0; i < 60; i++) s.record(ok('slow', lognormal(4_000), (at += 10)));
      expect(s.typicalLatencyMs('slow', at) / s.typicalLatencyMs('a0', at)).to.be.above(2.5);
      expect(s.betweenVariance()).to.be.above(0.1);
    });

    it('believes a real difference once the samples show it beyond their noise', () => {
      const s = new ObservedStats();
      observeMany(s, 'fast', 20, { latencyMs: 100, everyMs: 1 });
      observeMany(s, 'slow', 20, { latencyMs: 300, from: 20, everyMs: 1 });
      const ratio = s.typicalLatencyMs('slow', 40) / s.typicalLatencyMs('fast', 40);
      expect(ratio).to.be.within(2.7, 3); // nearly all of the 3×: constant samples are little noise
    });

    it('relaxes towards the fleet reference as it goes stale', () => {
      const s = new ObservedStats({ stalenessMs: 1_000 });
      observeMany(s, 'fast', 30, { latencyMs: 100, everyMs: 1 });
      observeMany(s, 'slow', 30, { latencyMs: 1_000, from: 30, everyMs: 1 });
      const ref = s.referenceLatencyMs();
      const fresh = s.typicalLatencyMs('slow', 59);
      expect(fresh).to.be.within(ref, 1_000);
      const later = s.typicalLatencyMs('slow', 59 + 1_000);
      expect(later).to.be.closeTo(Math.exp(Math.log(ref) + Math.exp(-1) * (Math.log(fresh) - Math.log(ref))), 1e-6);
      expect(s.typicalLatencyMs('slow', 59 + 100_000)).to.be.closeTo(ref, 1e-6);
    });

    it('keeps the fleet reference as a geometric mean of successes', () => {
      const s = new ObservedStats();
      s.record(ok('a', 100, 0));
      expect(s.referenceLatencyMs()).to.be.closeTo(100, 1e-9);
      s.record(ok('b', 400, 1)); // second sample weight 1/2
      expect(s.referenceLatencyMs()).to.be.closeTo(200, 1e-9);
      s.record(fail('c', 1, 2)); // failures do not move it
      expect(s.referenceLatencyMs()).to.be.closeTo(200, 1e-9);
    });
  });

  it('takes a forgotten or evicted agent out of the between-agent variance', () => {
    const s = new ObservedStats({ maxAgents: 2 });
    observeMany(s, 'a', 20, { latencyMs: 100, everyMs: 0 });
    observeMany(s, 'b', 20, { latencyMs: 1_000, everyMs: 0 });
    expect(s.betweenVariance()).to.be.above(1);
    s.forget('b');
    expect(s.betweenVariance()).to.equal(0); // one agent left: no spread
    observeMany(s, 'c', 20, { latencyMs: 100, everyMs: 0 });
    observeMany(s, 'd', 20, { latencyMs: 100, everyMs: 0 }); // evicts a
    expect(s.size).to.equal(2);
    expect(s.betweenVariance()).to.be.below(0.01);
  });

  it('forgets an agent not observed for forgetAfterMs, and starts afresh when it returns', () => {
    const s = new ObservedStats({ forgetAfterMs: 1_000, defaultRttMs: 50 });
    s.record(fail('a', 5, 0));
    expect(s.has('a', 999)).to.equal(true);
    expect(s.has('a', 1_000)).to.equal(false);
    expect(s.failureRate('a', 1_000)).to.equal(0);
    expect(s.peakLatencyMs('a', 1_000)).to.equal(50);
    s.record(ok('a', 20, 2_000));
    expect(s.get('a', 2_000)).to.deep.include({ attempts: 1, successes: 1, failures: 0, failureRate: 0 });
  });

  it('keeps at most maxAgents, dropping the least recently observed', () => {
    const s = new ObservedStats({ maxAgents: 2 });
    s.record(ok('a', 1, 0));
    s.record(ok('b', 1, 1));
    s.record(ok('a', 1, 2)); // a is now the most recent
    s.record(ok('c', 1, 3));
    expect(s.size).to.equal(2);
    expect([s.has('a', 3), s.has('b', 3), s.has('c', 3)]).to.deep.equal([true, false, true]);
  });

  it('ignores observations with a non-finite latency or time, and clamps a negative latency', () => {
    const s = new ObservedStats();
    s.record(ok('a', Number.NaN, 0));
    s.record(ok('a', 5, Number.POSITIVE_INFINITY));
    expect(s.has('a', 0)).to.equal(false);
    s.record(ok('a', -5, 0));
    expect(s.peakLatencyMs('a', 0)).to.equal(0);
  });

  it('tells an agent’s own typical latency, neither shrunk towards the fleet nor relaxed with age', () => {
    const stats = new ObservedStats({ stalenessMs: 1_000 });
    expect(stats.ownLatencyMs('a', 0)).to.equal(undefined);
    observeMany(stats, 'a', 5, { latencyMs: 100 });
    observeMany(stats, 'b', 5, { latencyMs: 400 });
    stats.record({ agentId: 'c', latencyMs: 5, outcome: 'failed', at: 0 });
    expect(stats.ownLatencyMs('a', 10_000)).to.be.closeTo(100, 1e-9);
    expect(stats.typicalLatencyMs('a', 10_000)).to.be.above(150); // relaxed towards the fleet by then
    expect(stats.ownLatencyMs('c', 0)).to.equal(undefined); // failures only
  });

  it('rejects options that are not positive numbers', () => {
    expect(() => new ObservedStats({ decayMs: 0 })).to.throw(TypeError, /decayMs/);
    expect(() => new ObservedStats({ defaultRttMs: Number.NaN })).to.throw(TypeError, /defaultRttMs/);
  });
});
