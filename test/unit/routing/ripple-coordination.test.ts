import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { ObservedStats } from '../../../src/routing/observed-stats.js';
import { observedCompletionMs, RippleCoordinationStrategy } from '../../../src/routing/ripple-coordination.js';
import type { Candidate, Observation } from '../../../src/routing/strategy.js';
import { candidates, ctx, FakeScores, forbiddenRandom, observeMany, tally } from './fakes.js';

const idle = (...ids: string[]): Candidate[] => ids.map((agentId) => ({ agentId, inFlight: 0, capacity: 4 }));

/** Record an observation and let the strategy learn from it, as AgentRouter.observe does. */
function learn(s: RippleCoordinationStrategy, observed: ObservedStats, scores: FakeScores, o: Observation): void {
  observed.record(o);
  s.observe(o, { scores, observed });
}

describe('RippleCoordinationStrategy', () => {
  describe('with signals only (nothing observed yet)', () => {
    it('follows the signals and reports the chosen agent’s routing score', () => {
      const scores = FakeScores.live({ a: 0.2, b: 0.8, c: 0.5 });
      const choice = new RippleCoordinationStrategy().select(candidates('a', 'b', 'c'), ctx(scores, forbiddenRandom));
      expect(choice).to.deep.equal({ agentId: 'b', score: 0.8 });
    });

    it('penalises an agent whose load trend predicts overload', () => {
      const scores = FakeScores.live({ a: 0.5, b: 0.5 });
      scores.overload.set('a', { willOverload: true, confidence: 1 });
      const s = new RippleCoordinationStrategy();
      const c = ctx(scores, seededRandom(1));
      expect(tally(200, () => s.select(idle('a', 'b'), c).agentId).get('b')).to.equal(200);
      expect(scores.predictOverloadCalls).to.equal(400);
    });

    it('asks for an overload outlook only while it could still change the decision', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'fast', 5, { latencyMs: 100 });
      observeMany(observed, 'slow', 5, { latencyMs: 1_000 });
      const scores = FakeScores.live({ fast: 0.5, slow: 0.5 });
      const s = new RippleCoordinationStrategy();
      const c = ctx(scores, seededRandom(1), observed, 500);
      for (let i = 0; i < 10; i++) expect(s.select(idle('slow', 'fast'), c).agentId).to.equal('fast');
      expect(scores.predictOverloadCalls).to.equal(10); // slow costs 10× before the term: never asked
      scores.overload.set('fast', { willOverload: true, confidence: 1 }); // × 1.5 still beats slow
      expect(s.select(idle('slow', 'fast'), c).agentId).to.equal('fast');
      expect(scores.predictOverloadCalls).to.equal(11);
    });

    it('asks for overload predictions only about agents with a live signal', () => {
      const scores = new FakeScores(new Map([['a', 0.7]]), new Set(['a']));
      new RippleCoordinationStrategy().select(idle('a', 'b'), ctx(scores, seededRandom(1)));
      expect(scores.predictOverloadCalls).to.equal(1); // FakeScores throws for b
    });
  });

  describe('sampling', () => {
    it('scores at most sampleSize candidates per decision', () => {
      const many = Array.from({ length: 100 }, (_, i) => `a${i}`);
      const scores = FakeScores.live(Object.fromEntries(many.map((id, i) => [id, i / 100])));
      const s = new RippleCoordinationStrategy(); // sampleSize 8
      const c = ctx(scores, seededRandom(2));
      for (let i = 0; i < 10; i++) s.select(candidates(...many), c);
      expect(scores.routingScoreCalls).to.equal(80);
      const s2 = new RippleCoordinationStrategy({ sampleSize: 2 });
      s2.select(candidates(...many), c);
      expect(scores.routingScoreCalls).to.equal(82);
    });

    it('picks the best of its sample, so the best agent does not take every task (no herding)', () => {
      const ids = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
      const observed = new ObservedStats();
      ids.forEach((id, i) => observeMany(observed, id, 5, { latencyMs: 100 * (i + 1), everyMs: 0 }));
      const s = new RippleCoordinationStrategy({ sampleSize: 3 });
      const c = ctx(new FakeScores(), seededRandom(3), observed, 0);
      const counts = tally(6_000, () => s.select(idle(...ids), c).agentId);
      // a_i wins when it is the fastest of the 3 sampled: C(5 − i, 2) of the C(6, 3) = 20 samples.
      const expected = [10, 6, 3, 1, 0, 0].map((n) => (n / 20) * 6_000);
      ids.forEach((id, i) => expect(counts.get(id) ?? 0, id).to.be.within(expected[i]! - 250, expected[i]! + 250));
    });

    it('breaks ties at random, not always the first', () => {
      const s = new RippleCoordinationStrategy();
      const c = ctx(new FakeScores(), seededRandom(4));
      const counts = tally(3_000, () => s.select(idle('a', 'b', 'c'), c).agentId);
      for (const id of ['a', 'b', 'c']) expect(counts.get(id), id).to.be.within(850, 1_150);
    });

    it('is reproducible for a given seed', () => {
      const list = Array.from({ length: 30 }, (_, i) => ({ agentId: `a${i}`, inFlight: i % 3, capacity: 4 }));
      const run = () => {
        const s = new RippleCoordinationStrategy();
        const observed = new ObservedStats();
        list.forEach((cand, i) => observeMany(observed, cand.agentId, 2, { latencyMs: 50 + (i % 5) * 10, everyMs: 0 }));
        const c = ctx(new FakeScores(), seededRandom(77), observed, 0);
        return Array.from({ length: 50 }, () => s.select(list, c).agentId);
      };
      expect(run()).to.deep.equal(run());
    });
  });

  describe('a fleet indistinguishable by speed (its own service levels within their noise)', () => {
    /** Teach `s` one success per agent per round, all agents alike except `slowId` (× slowdown). */
    function taught(
      ids: readonly string[],
      slowdown = 1,
      slowId = ids[ids.length - 1],
    ): { s: RippleCoordinationStrategy; observed: ObservedStats; scores: FakeScores } {
      const s = new RippleCoordinationStrategy();
      const observed = new ObservedStats();
      const scores = new FakeScores();
      const spread = [80, 125, 100, 90, 110];
      for (let round = 0; round < 5; round++) {
        ids.forEach((agentId) =>
          learn(s, observed, scores, { agentId, outcome: 'completed', latencyMs: spread[round]! * (agentId === slowId ? slowdown : 1), at: round }),
        );
      }
      return { s, observed, scores };
    }

    it('scores up to 4 × sampleSize candidates per decision, to find the least loaded', () => {
      const many = Array.from({ length: 100 }, (_, i) => `a${i}`);
      const { s, observed, scores } = taught(many);
      expect(s.serviceLevels.indistinguishable()).to.equal(true);
      s.select(candidates(...many), ctx(scores, seededRandom(2), observed, 5));
      expect(scores.routingScoreCalls).to.equal(32);
    });

    /** Agents a, b, c alike (one speed), observed without load sensitivity so only levels and signals order them; c's signals are a little worse. */
    function oneSpeedBySignals(sink = false): { s: RippleCoordinationStrategy; observed: ObservedStats; scores: FakeScores; at: number } {
      const s = new RippleCoordinationStrategy({ loadSensitivity: 0, loadCurve: false });
      const observed = new ObservedStats();
      const scores = FakeScores.live({ a: 0.6, b: 0.6, c: 0.4, ...(sink ? { sink: 0.6 } : {}) });
      let at = 0;
      for (const latencyMs of [80, 125, 100, 90, 110]) {
        for (const agentId of ['a', 'b', 'c']) learn(s, observed, scores, { agentId, outcome: 'completed', latencyMs, at: (at += 1) });
        if (sink) learn(s, observed, scores, { agentId: 'sink', outcome: 'failed', latencyMs: 1, at: (at += 1) });
      }
      return { s, observed, scores, at };
    }

    it('chooses the least-loaded of the agents whose estimates are within 2× of the best (not the estimate’s noise)', () => {
      const { s, observed, scores, at } = oneSpeedBySignals();
      expect(s.serviceLevels.indistinguishable()).to.equal(true);
      const c = ctx(scores, seededRandom(4), observed, at);
      const list: Candidate[] = [
        { agentId: 'a', inFlight: 2, capacity: 4 },
        { agentId: 'b', inFlight: 1, capacity: 4 },
        { agentId: 'c', inFlight: 0, capacity: 4 },
      ];
      expect(s.expectedCompletionMs(list[2]!, c)).to.be.above(s.expectedCompletionMs(list[0]!, c)); // c's signals make it look slower
      expect(tally(100, () => s.select(list, c).agentId).get('c')).to.equal(100);
    });

    it('still keeps an agent clearly worse than that (one that fails fast) out, however idle', () => {
      const { s, observed, scores, at } = oneSpeedBySignals(true);
      expect(s.serviceLevels.indistinguishable()).to.equal(true);
      const c = ctx(scores, seededRandom(5), observed, at);
      const list: Candidate[] = [
        { agentId: 'sink', inFlight: 0, capacity: 4 },
        { agentId: 'a', inFlight: 2, capacity: 4 },
        { agentId: 'b', inFlight: 1, capacity: 4 },
      ];
      expect(tally(100, () => s.select(list, c).agentId).get('b')).to.equal(100);
    });

    it('neither holds a task nor cuts a free agent from the choice', () => {
      const ids = ['a', 'b', 'c', 'd'];
      const { s, observed, scores } = taught(ids);
      const c = ctx(scores, seededRandom(3), observed, 5);
      const advice = s.adviseWait(
        { taskId: 't', ahead: 0 },
        [{ agentId: 'd', inFlight: 0, capacity: 2 }],
        ['a', 'b', 'c'].map((agentId) => ({ agentId, inFlight: 2, capacity: 2 })),
        c,
      );
      expect(advice.wait).to.equal(false);
      expect(advice.shortlist).to.equal(undefined);
    });

    it('still holds for a clearly faster busy agent once the speeds differ beyond noise', () => {
      const ids = ['a', 'b', 'c', 'd'];
      const { s, observed, scores } = taught(ids, 10, 'd');
      expect(s.serviceLevels.indistinguishable()).to.equal(false);
      const c = ctx(scores, seededRandom(3), observed, 5);
      const advice = s.adviseWait(
        { taskId: 't', ahead: 0 },
        [{ agentId: 'd', inFlight: 0, capacity: 2 }],
        ['a', 'b', 'c'].map((agentId) => ({ agentId, inFlight: 2, capacity: 2 })),
        c,
      );
      expect(advice.wait).to.equal(true);
    });
  });

  describe('with observations', () => {
    it('estimates (1 − f)·L·(1 + k·u) + f·(L_fail + P·L_ref)', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'a', 4, { latencyMs: 100, everyMs: 0 });
      const opts = { loadSensitivity: 1, failurePenalty: 4 };
      expect(observedCompletionMs(observed, 'a', 0, 0.5, opts)).to.be.closeTo(150, 1e-9);
      observed.record({ agentId: 'a', latencyMs: 20, outcome: 'failed', at: 0 });
      const f = observed.failureRate('a', 0);
      expect(f).to.be.closeTo(0.2, 1e-12);
      expect(observedCompletionMs(observed, 'a', 0, 0.5, opts)).to.be.closeTo(0.8 * 150 + 0.2 * (20 + 4 * 100), 1e-9);
    });

    it('prefers the less utilized of two equally fast agents', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'a', 5, { latencyMs: 100 });
      observeMany(observed, 'b', 5, { latencyMs: 100 });
      const list: Candidate[] = [
        { agentId: 'a', inFlight: 3, capacity: 4 },
        { agentId: 'b', inFlight: 0, capacity: 4 },
      ];
      const s = new RippleCoordinationStrategy();
      const c = ctx(new FakeScores(), seededRandom(5), observed, 500);
      expect(tally(100, () => s.select(list, c).agentId).get('b')).to.equal(100);
    });

    it('never picks an agent that can take nothing (capacity 0) over one that can', () => {
      const s = new RippleCoordinationStrategy();
      const c = ctx(new FakeScores(), seededRandom(6));
      const list: Candidate[] = [
        { agentId: 'none', inFlight: 0, capacity: 0 },
        { agentId: 'busy', inFlight: 3, capacity: 4 },
      ];
      expect(tally(100, () => s.select(list, c).agentId).get('busy')).to.equal(100);
    });

    it('avoids an agent that fails fast, even one whose signals are rosy', () => {
      const observed = new ObservedStats();
      const scores = FakeScores.live({ sink: 1, ok: 0.5 });
      const s = new RippleCoordinationStrategy();
      let at = 0;
      for (let i = 0; i < 10; i++) {
        learn(s, observed, scores, { agentId: 'ok', latencyMs: 200, outcome: 'completed', at: (at += 50) });
        learn(s, observed, scores, { agentId: 'sink', latencyMs: 1, outcome: 'failed', at: (at += 50) });
      }
      const list: Candidate[] = [
        { agentId: 'sink', inFlight: 0, capacity: 4 },
        { agentId: 'ok', inFlight: 3, capacity: 4 },
      ];
      const c = ctx(scores, seededRandom(7), observed, at);
      expect(tally(200, () => s.select(list, c).agentId).get('ok')).to.equal(200);
      expect(s.trust.get('sink')).to.be.below(0.2);
    });

    it('stops believing rosy signals from an agent observed to be slow', () => {
      const scores = FakeScores.live({ liar: 1, honest: 0.5 });
      const list = idle('liar', 'honest');
      const feed = (s: RippleCoordinationStrategy, observed: ObservedStats, check: boolean): number => {
        let at = 0;
        for (let i = 0; i < 10; i++) {
          for (const [agentId, latencyMs] of [
            ['liar', 180],
            ['honest', 100],
          ] as const) {
            const o: Observation = { agentId, latencyMs, outcome: 'completed', at: (at += 10) };
            if (check) learn(s, observed, scores, o);
            else observed.record(o);
          }
        }
        return at;
      };
      // Fully trusted from the start, its claim (×0.5) outweighs being observed 1.8× slower…
      const naive = new RippleCoordinationStrategy({ trust: { initial: 1 } });
      const naiveObserved = new ObservedStats();
      const t1 = feed(naive, naiveObserved, false);
      expect(tally(100, () => naive.select(list, ctx(scores, seededRandom(8), naiveObserved, t1)).agentId).get('liar')).to.equal(100);
      // …until its claims are checked against what was observed.
      const learning = new RippleCoordinationStrategy({ trust: { initial: 1 } });
      const observed = new ObservedStats();
      const t2 = feed(learning, observed, true);
      expect(learning.trust.get('liar')).to.be.below(0.45);
      expect(tally(100, () => learning.select(list, ctx(scores, seededRandom(8), observed, t2)).agentId).get('honest')).to.equal(100);
    });

    it('caps what signals can do: a fully trusted perfect score cannot hide a 2.5× slower agent', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'slow', 5, { latencyMs: 250 });
      observeMany(observed, 'fast', 5, { latencyMs: 100 });
      const scores = FakeScores.live({ slow: 1, fast: 0.5 }); // at most × 1/signalRange = × 0.5
      const s = new RippleCoordinationStrategy({ trust: { initial: 1 } });
      const c = ctx(scores, seededRandom(9), observed, 500);
      expect(tally(100, () => s.select(idle('slow', 'fast'), c).agentId).get('fast')).to.equal(100);
    });

    it('keeps trusting claims that observations bear out', () => {
      const scores = FakeScores.live({ quick: 0.9, plain: 0.5 });
      const observed = new ObservedStats();
      const s = new RippleCoordinationStrategy();
      let at = 0;
      for (let i = 0; i < 10; i++) {
        learn(s, observed, scores, { agentId: 'plain', latencyMs: 200, outcome: 'completed', at: (at += 10) });
        learn(s, observed, scores, { agentId: 'quick', latencyMs: 100, outcome: 'completed', at: (at += 10) });
      }
      expect(s.trust.get('quick')).to.be.above(0.8);
      expect(s.trust.get('plain')).to.equal(0.5); // a neutral score claims nothing to check
    });

    it('learns nothing from an agent with no live signal', () => {
      const scores = new FakeScores(new Map([['a', 1]]), new Set());
      const observed = new ObservedStats();
      const s = new RippleCoordinationStrategy();
      learn(s, observed, scores, { agentId: 'a', latencyMs: 5_000, outcome: 'failed', at: 0 });
      expect(s.trust.get('a')).to.equal(0.5);
      expect(scores.routingScoreCalls).to.equal(0);
    });
  });

  describe('learned load curve (what a task met when this router dispatched it)', () => {
    /** Choose `c` (the only candidate) at `at` and report its attempt done `latencyMs` later, as the pool would. */
    function run(s: RippleCoordinationStrategy, observed: ObservedStats, scores: FakeScores, c: Candidate, at: number, latencyMs: number): void {
      expect(s.select([c], ctx(scores, seededRandom(1), observed, at)).agentId).to.equal(c.agentId);
      learn(s, observed, scores, { agentId: c.agentId, latencyMs, outcome: 'completed', at: at + latencyMs });
    }
    const on = (agentId: string, inFlight: number): Candidate => ({ agentId, inFlight, capacity: 8 });

    /** fast: 100 ms idle and still 100 ms with 6 of its 8 slots taken (it runs them all at once); slow: 200 ms idle. */
    function train(options: ConstructorParameters<typeof RippleCoordinationStrategy>[0] = {}): {
      s: RippleCoordinationStrategy;
      observed: ObservedStats;
      scores: FakeScores;
      now: number;
    } {
      const s = new RippleCoordinationStrategy(options);
      const observed = new ObservedStats();
      const scores = new FakeScores();
      let at = 0;
      for (let i = 0; i < 30; i++) {
        run(s, observed, scores, on('fast', 0), (at += 1_000), 100);
        run(s, observed, scores, on('slow', 0), (at += 1_000), 200);
        run(s, observed, scores, on('fast', 6), (at += 1_000), 100);
      }
      return { s, observed, scores, now: at + 1_000 };
    }

    it('learns that an agent whose workers are free does not slow down under load, where 1 + k·u says it would', () => {
      const list: Candidate[] = [on('fast', 6), on('slow', 0)];
      const learned = train();
      expect(learned.s.select(list, ctx(learned.scores, seededRandom(3), learned.observed, learned.now)).agentId).to.equal('fast');
      expect(learned.s.expectedCompletionMs(on('fast', 6), ctx(learned.scores, seededRandom(3), learned.observed, learned.now))).to.be.below(150);
      // The fixed rule: 100 ms × (1 + 2 × 6/8) = 250 ms > 200 ms.
      const fixed = train({ loadCurve: false });
      expect(fixed.s.select(list, ctx(fixed.scores, seededRandom(3), fixed.observed, fixed.now)).agentId).to.equal('slow');
    });

    it('holds an agent whose loaded attempts stretch far beyond the fleet’s curve to its own record', () => {
      const s = new RippleCoordinationStrategy();
      const observed = new ObservedStats();
      const scores = new FakeScores();
      let at = 0;
      // a to f run every slot at once; q registers 8 slots, runs one, and queues the rest.
      for (let i = 0; i < 40; i++) {
        for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) {
          run(s, observed, scores, on(id, 0), (at += 50), 100);
          run(s, observed, scores, on(id, 4), (at += 50), 100);
        }
        run(s, observed, scores, on('q', 0), (at += 50), 150);
        run(s, observed, scores, on('q', 4), (at += 50), 750);
      }
      const c = ctx(scores, seededRandom(1), observed, at + 1_000); // the last attempts have ended
      const ect = (id: string, inFlight: number): number => s.expectedCompletionMs(on(id, inFlight), c);
      expect(ect('q', 0)).to.be.below(2 * ect('a', 0)); // idle, q is only somewhat slower
      // Loaded, q stretches more than the fleet's curve (alone, it would stretch every agent alike).
      expect(ect('q', 4) / ect('q', 0)).to.be.above(2 * (ect('a', 4) / ect('a', 0)));
      expect(s.select([on('a', 4), on('q', 4)], c).agentId).to.equal('a');
      expect(s.select([on('a', 4), on('q', 0)], c).agentId).to.equal('a');
    });

    it('keeps an idle agent’s level while it is left idle, until the agent is forgotten', () => {
      const s = new RippleCoordinationStrategy();
      const observed = new ObservedStats();
      const scores = new FakeScores();
      let at = 0;
      // Both are measured idle; then only fast keeps working (slow is left idle, as holds do).
      for (let i = 0; i < 20; i++) {
        run(s, observed, scores, on('fast', 0), (at += 500), 100);
        run(s, observed, scores, on('slow', 0), (at += 500), 400);
      }
      for (let i = 0; i < 200; i++) run(s, observed, scores, on('fast', 0), (at += 500), 100);
      // 100 s after slow's last attempt (3 × stalenessMs; a third of forgetAfterMs): still well over 2× slower
      // than fast (relaxed over stalenessMs, it read as fast as the fleet: ×1.05).
      const c = ctx(scores, seededRandom(1), observed, at);
      expect(s.idleLevel.typicalLatencyMs('slow', at) / s.idleLevel.typicalLatencyMs('fast', at)).to.be.above(2);
      expect(s.select([on('fast', 1), on('slow', 0)], c).agentId).to.equal('fast');
    });

    it('learns nothing from attempts it cannot match to one of its choices (e.g. router.select over RPC, not dispatched)', () => {
      const s = new RippleCoordinationStrategy();
      const observed = new ObservedStats();
      const scores = new FakeScores();
      observeMany({ observe: (o: Observation) => learn(s, observed, scores, o) }, 'a', 10, { latencyMs: 100, from: 1_000 });
      expect(s.idleLevel.size).to.equal(0);
      // Until an idle level is learned, the fixed rule applies: 100 ms × (1 + 2 × 4/8).
      expect(s.expectedCompletionMs(on('a', 4), ctx(scores, seededRandom(1), observed, 3_000))).to.be.closeTo(200, 1e-6);
    });

    it('falls back to the fixed rule for a loaded agent whose capacity is unknown', () => {
      const { s, observed, scores, now } = train();
      const c = ctx(scores, seededRandom(1), observed, now);
      const level = s.expectedCompletionMs({ agentId: 'fast', inFlight: 0 }, c);
      expect(s.expectedCompletionMs({ agentId: 'fast', inFlight: 2 }, c)).to.be.closeTo(observedCompletionMs(observed, 'fast', now, 2, s.options), 1e-6);
      expect(level).to.be.closeTo(s.idleLevel.typicalLatencyMs('fast', now), 1e-6);
    });
  });

  describe('load reports beyond its own in-flight count (other routers sharing the agents)', () => {
    /** FakeScores (neutral scores) whose agents report `load` at time `at`, each with one load sample. */
    const reporting = (load: Record<string, number>, at: number): FakeScores => {
      const scores = FakeScores.live(Object.fromEntries(Object.keys(load).map((id) => [id, 0.5])));
      return Object.assign(scores, {
        lastSignalAt: (id: string) => (id in load ? at : undefined),
        forecastLoad: (id: string) => ({ willOverload: false, confidence: 0, predictedLoad: load[id], samples: 1 }),
      });
    };
    const observed = (): ObservedStats => {
      const o = new ObservedStats();
      observeMany(o, 'fast', 20, { latencyMs: 100, everyMs: 0 });
      observeMany(o, 'slow', 20, { latencyMs: 250, everyMs: 0 });
      return o;
    };
    const list: Candidate[] = [
      { agentId: 'fast', inFlight: 1, capacity: 8 },
      { agentId: 'slow', inFlight: 0, capacity: 8 },
    ];

    it('with one router (reports match its own count) routes as on its own count', () => {
      const s = new RippleCoordinationStrategy();
      const c = ctx(reporting({ fast: 0.125, slow: 0 }, 0), seededRandom(1), observed(), 0);
      expect(s.select(list, c).agentId).to.equal('fast'); // 100 × (1 + 2 × 0.125) < 250
      expect(s.share.factor()).to.be.closeTo(1, 1e-9);
    });

    it('scales its own utilization by the share the reports reveal, so a busy fast agent is not taken for idle', () => {
      const s = new RippleCoordinationStrategy();
      // The fast agent reports it is full while this router has 1 of 8 slots there: ×8.
      const c = ctx(reporting({ fast: 1, slow: 0 }, 0), seededRandom(1), observed(), 0);
      expect(s.select(list, c).agentId).to.equal('slow'); // 100 × (1 + 2 × 1) > 250
      expect(s.share.factor()).to.be.closeTo(8, 1e-9);
    });

    it('can be turned off', () => {
      const s = new RippleCoordinationStrategy({ loadShare: false });
      const c = ctx(reporting({ fast: 1, slow: 0 }, 0), seededRandom(1), observed(), 0);
      expect(s.select(list, c).agentId).to.equal('fast');
    });
  });

  describe('signal age (when the score source tells it)', () => {
    /** FakeScores whose signals were all recorded at `recordedAt`. */
    const aged = (scores: Record<string, number>, recordedAt: number): FakeScores =>
      Object.assign(FakeScores.live(scores), { lastSignalAt: (id: string) => (id in scores ? recordedAt : undefined) });

    it('lets signals count fully when fresh and fade over a few typical task times', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'claims', 20, { latencyMs: 130, everyMs: 0 });
      observeMany(observed, 'quiet', 20, { latencyMs: 100, everyMs: 0 });
      const s = new RippleCoordinationStrategy({ signalHorizon: 2, trust: { initial: 1 } });
      const ref = observed.referenceLatencyMs();
      const list = idle('claims', 'quiet');
      const fresh = ctx(aged({ claims: 1 }, 0), seededRandom(1), observed, 0);
      expect(s.select(list, fresh).agentId).to.equal('claims'); // ×0.5 beats 1.3×
      const old = ctx(aged({ claims: 1 }, 0), seededRandom(1), observed, 10 * ref); // weight e^−5
      expect(s.select(list, old).agentId).to.equal('quiet');
    });

    it('checks an old claim only as strongly as it still counts', () => {
      const observed = new ObservedStats();
      observeMany(observed, 'x', 20, { latencyMs: 100, everyMs: 0 });
      const s = new RippleCoordinationStrategy();
      const scores = aged({ liar: 1 }, 0);
      const o: Observation = { agentId: 'liar', latencyMs: 5_000, outcome: 'completed', at: 1_000_000 };
      learn(s, observed, scores, o);
      expect(s.trust.get('liar')).to.be.closeTo(0.5, 1e-9); // a signal that old claims nothing now
    });
  });

  it('treats a non-finite routing score as neutral and does not report it', () => {
    const scores = FakeScores.live({ a: Number.NaN, b: 0.5 });
    const s = new RippleCoordinationStrategy();
    const c = ctx(scores, seededRandom(10));
    const counts = tally(400, () => {
      const choice = s.select(idle('a', 'b'), c);
      expect(choice.score).to.equal(choice.agentId === 'a' ? undefined : 0.5);
      return choice.agentId;
    });
    expect(counts.get('a')).to.be.within(150, 250);
  });

  it('rejects nonsensical options', () => {
    expect(() => new RippleCoordinationStrategy({ sampleSize: 0 })).to.throw(TypeError);
    expect(() => new RippleCoordinationStrategy({ sampleSize: 2.5 })).to.throw(TypeError);
    expect(() => new RippleCoordinationStrategy({ signalRange: 0.5 })).to.throw(TypeError);
    expect(() => new RippleCoordinationStrategy({ failurePenalty: -1 })).to.throw(TypeError);
    expect(() => new RippleCoordinationStrategy({ signalHorizon: 0 })).to.throw(TypeError);
  });
});
