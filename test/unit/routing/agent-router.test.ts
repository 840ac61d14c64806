import { expect } from 'chai';
import { STRATEGY_NAMES } from '../../../src/schemas/common.js';
import { AppError } from '../../../src/errors.js';
import { seededRandom } from '../../../src/random.js';
import { AgentRouter, type SelectionEvent } from '../../../src/routing/agent-router.js';
import { ObservedStats } from '../../../src/routing/observed-stats.js';
import type { Observation, RoutingStrategy, ScoreSource } from '../../../src/routing/strategy.js';
import { routerSelect } from '../../../src/schemas/router.js';
import { candidates, FakeScores, recordingLog } from './fakes.js';

const throwing = (name: RoutingStrategy['name']): RoutingStrategy => ({
  name,
  select() {
    throw new Error('boom');
  },
});

describe('AgentRouter', () => {
  const list = candidates('a', 'b', 'c');

  describe('select', () => {
    it('uses RIPPLE_COORDINATION by default and reports its score', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: FakeScores.live({ a: 0.2, b: 0.8, c: 0.5 }) });
      const result = router.select(list);
      expect(result).to.include({ agentId: 'b', strategy: 'RIPPLE_COORDINATION', score: 0.8, fallback: false });
      expect(result.fallbackReason).to.equal(undefined);
    });

    it('uses options.defaultStrategy when no strategy is given', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { defaultStrategy: 'ROUND_ROBIN' });
      const picks = [router.select(list), router.select(list), router.select(list), router.select(list)];
      expect(picks.map((r) => r.agentId)).to.deep.equal(['a', 'b', 'c', 'a']);
      expect(picks.every((r) => r.strategy === 'ROUND_ROBIN' && !r.fallback)).to.equal(true);
    });

    it('uses the strategy asked for over the default', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { defaultStrategy: 'ROUND_ROBIN' });
      const loaded = [
        { agentId: 'a', inFlight: 3 },
        { agentId: 'b', inFlight: 0 },
      ];
      expect(router.select(loaded, 'LEAST_LOADED')).to.include({ agentId: 'b', strategy: 'LEAST_LOADED', fallback: false });
      expect(router.select(list, 'RANDOM')).to.include({ strategy: 'RANDOM', fallback: false });
    });

    it('returns results that satisfy the router.select wire schema', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: FakeScores.live({ a: 0.2, b: 0.8 }) }, { enableRep: true });
      for (const strategy of STRATEGY_NAMES) {
        expect(routerSelect.result.safeParse(router.select(list, strategy)).success, strategy).to.equal(true);
      }
      const disabled = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { enableRep: false });
      expect(routerSelect.result.safeParse(disabled.select(list)).success).to.equal(true);
    });

    it('throws NO_CANDIDATES for an empty list', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() });
      for (const strategy of STRATEGY_NAMES) {
        expect(() => router.select([], strategy))
          .to.throw(AppError)
          .that.includes({ errorName: 'NO_CANDIDATES', code: -32011 });
      }
      expect(router.stats().fallbacks).to.equal(0);
    });

    it('rejects an unknown strategy name instead of falling back', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() });
      expect(() => router.select(list, 'NOPE' as never)).to.throw(TypeError);
      expect(() => router.select(list, 'toString' as never)).to.throw(TypeError);
      expect(router.stats().fallbacks).to.equal(0);
    });
  });

  describe('fallbacks to RANDOM', () => {
    it('rep_disabled: RIPPLE_COORDINATION with REP disabled never consults the scores', () => {
      const scores = FakeScores.live({ a: 0.1, b: 0.9, c: 0.1 });
      const router = new AgentRouter({ random: seededRandom(1), scores }, { enableRep: false });
      const result = router.select(list, 'RIPPLE_COORDINATION');
      expect(result).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'rep_disabled' });
      expect(result.score).to.equal(undefined);
      expect(list.map((c) => c.agentId)).to.include(result.agentId);
      expect(scores.routingScoreCalls + scores.hasLiveSignalCalls).to.equal(0);
      router.select(list);
      expect(router.stats()).to.deep.include({ fallbacks: 2, fallbacksByReason: { rep_disabled: 2, no_live_signals: 0, strategy_error: 0 } });
    });

    it('rep_disabled does not affect the other strategies', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { enableRep: false });
      expect(router.select(list, 'ROUND_ROBIN')).to.include({ strategy: 'ROUND_ROBIN', fallback: false });
      expect(router.stats().fallbacks).to.equal(0);
    });

    it('no_live_signals: RIPPLE_COORDINATION when no candidate has a live signal', () => {
      const scores = new FakeScores(new Map([['b', 0.9]]), new Set(['zzz']));
      const router = new AgentRouter({ random: seededRandom(1), scores });
      expect(router.select(list)).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'no_live_signals' });
      expect(scores.hasLiveSignalCalls).to.equal(3);
      expect(scores.routingScoreCalls).to.equal(0);
      expect(router.stats().fallbacksByReason.no_live_signals).to.equal(1);
    });

    it('one live candidate is enough, and the scan stops at it', () => {
      const many = candidates(...Array.from({ length: 100 }, (_, i) => `agent-${i}`));
      const fake = new FakeScores(new Map([['agent-1', 0.6]]), new Set(['agent-1']));
      // Without predictOverload, RIPPLE itself asks no hasLiveSignal: every call counted is the scan's.
      const scores: ScoreSource = { now: () => 0, routingScore: (id) => fake.routingScore(id), hasLiveSignal: (id) => fake.hasLiveSignal(id) };
      const router = new AgentRouter({ random: seededRandom(1), scores });
      expect(router.select(many)).to.include({ strategy: 'RIPPLE_COORDINATION', fallback: false });
      expect(fake.hasLiveSignalCalls).to.equal(2);
    });

    it('no_live_signals only when there is neither a live signal nor a recent observation', () => {
      const scores = new FakeScores();
      const router = new AgentRouter({ random: seededRandom(1), scores }, { observation: { forgetAfterMs: 60_000 } });
      expect(router.select(list)).to.include({ fallback: true, fallbackReason: 'no_live_signals' });
      router.observe({ agentId: 'c', latencyMs: 50, outcome: 'completed', at: 0 });
      expect(router.select(list)).to.include({ strategy: 'RIPPLE_COORDINATION', fallback: false });
      scores.now = () => 60_000; // the observation is forgotten
      expect(router.select(list)).to.include({ fallback: true, fallbackReason: 'no_live_signals' });
    });

    it('routes on observations alone when no signal is live', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() });
      for (let i = 0; i < 5; i++) {
        router.observe({ agentId: 'a', latencyMs: 900, outcome: 'completed', at: i });
        router.observe({ agentId: 'b', latencyMs: 100, outcome: 'completed', at: i });
        router.observe({ agentId: 'c', latencyMs: 5, outcome: 'failed', at: i });
      }
      const picks = Array.from({ length: 50 }, () => router.select(list));
      expect(picks.every((r) => r.agentId === 'b' && !r.fallback)).to.equal(true);
    });

    it('strategy_error: a throwing RIPPLE_COORDINATION falls back', () => {
      const scores = FakeScores.live({ a: 0.5 });
      scores.routingScore = () => {
        throw new Error('store exploded');
      };
      const log = recordingLog();
      const router = new AgentRouter({ random: seededRandom(1), scores, log });
      expect(router.select(list)).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'strategy_error' });
      const warn = log.entries.find((e) => e.level === 'warn');
      expect(warn?.obj).to.include({ strategy: 'RIPPLE_COORDINATION' });
      expect((warn?.obj as { err?: Error }).err?.message).to.equal('store exploded');
    });

    it('strategy_error: any throwing strategy falls back, including RANDOM itself', () => {
      const router = new AgentRouter({
        random: seededRandom(1),
        scores: new FakeScores(),
        strategies: { LEAST_LOADED: throwing('LEAST_LOADED'), RANDOM: throwing('RANDOM') },
      });
      expect(router.select(list, 'LEAST_LOADED')).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'strategy_error' });
      expect(router.select(list, 'RANDOM')).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'strategy_error' });
      expect(router.stats().fallbacksByReason.strategy_error).to.equal(2);
    });

    it('warns when a fallback streak starts and only debugs the repeats', () => {
      const scores = new FakeScores(new Map([['a', 0.9]]), new Set());
      const log = recordingLog();
      const router = new AgentRouter({ random: seededRandom(1), scores, log });
      for (let i = 0; i < 3; i++) router.select(list);
      expect(log.entries.map((e) => e.level)).to.deep.equal(['warn', 'debug', 'debug']);
      expect(log.entries[0]!.obj).to.include({ fallbackReason: 'no_live_signals' });

      scores.live.add('a'); // signals arrive: the streak ends
      expect(router.select(list)).to.include({ agentId: 'a', fallback: false });
      scores.live.clear(); // and expire again: a new streak, warned again
      router.select(list);
      expect(log.entries.map((e) => e.level)).to.deep.equal(['warn', 'debug', 'debug', 'warn']);
    });

    it('logs rep_disabled once at warn, then at debug', () => {
      const log = recordingLog();
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), log }, { enableRep: false });
      for (let i = 0; i < 3; i++) router.select(list);
      expect(log.entries.map((e) => e.level)).to.deep.equal(['warn', 'debug', 'debug']);
      expect(log.entries[0]!.obj).to.include({ fallbackReason: 'rep_disabled' });
    });

    it('spreads fallback picks over the candidates', () => {
      const router = new AgentRouter({ random: seededRandom(2), scores: new FakeScores() }, { enableRep: false });
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add(router.select(list).agentId);
      expect([...seen].sort()).to.deep.equal(['a', 'b', 'c']);
    });
  });

  describe('onSelection', () => {
    it('is called once per selection with the strategy that chose and the fallback', () => {
      const events: SelectionEvent[] = [];
      const router = new AgentRouter(
        { random: seededRandom(1), scores: FakeScores.live({ a: 0.9 }), onSelection: (e) => events.push({ ...e }) },
        { enableRep: true },
      );
      router.select(list);
      router.select(list, 'ROUND_ROBIN');
      router.select(list, 'RIPPLE_COORDINATION');
      expect(events).to.have.length(3);
      expect(events[0]).to.include({ agentId: 'a', strategy: 'RIPPLE_COORDINATION', fallback: false });
      expect(events[1]).to.include({ strategy: 'ROUND_ROBIN', fallback: false });

      const fallbackEvents: SelectionEvent[] = [];
      const disabled = new AgentRouter(
        { random: seededRandom(1), scores: new FakeScores(), onSelection: (e) => fallbackEvents.push({ ...e }) },
        { enableRep: false },
      );
      disabled.select(list);
      expect(fallbackEvents[0]).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'rep_disabled' });
    });

    it('is not called when select throws NO_CANDIDATES', () => {
      let calls = 0;
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), onSelection: () => calls++ });
      expect(() => router.select([])).to.throw(AppError);
      expect(calls).to.equal(0);
    });

    it('a throwing listener is logged and does not break selection or count as a fallback', () => {
      const log = recordingLog();
      const router = new AgentRouter({
        random: seededRandom(1),
        scores: FakeScores.live({ a: 0.9 }),
        log,
        onSelection: () => {
          throw new Error('metrics down');
        },
      });
      expect(router.select(list)).to.include({ agentId: 'a', fallback: false });
      expect(log.entries.map((e) => e.level)).to.deep.equal(['error']);
      expect(router.stats().fallbacks).to.equal(0);
    });
  });

  describe('stats', () => {
    it('counts selections by the strategy that actually chose, and fallbacks by reason', () => {
      const scores = FakeScores.live({ a: 0.9 });
      const router = new AgentRouter({ random: seededRandom(1), scores, strategies: { LEAST_LOADED: throwing('LEAST_LOADED') } });
      router.select(list); // RIPPLE
      router.select(list); // RIPPLE
      router.select(list, 'ROUND_ROBIN');
      router.select(list, 'LEAST_LOADED'); // throws -> RANDOM
      scores.live.clear();
      router.select(list); // no live signals -> RANDOM
      router.select(list, 'RANDOM');
      expect(router.stats()).to.deep.equal({
        selections: { ROUND_ROBIN: 1, RANDOM: 3, LEAST_LOADED: 0, P2C: 0, PEAK_EWMA: 0, RIPPLE_COORDINATION: 2 },
        extraSelections: {},
        fallbacks: 2,
        fallbacksByReason: { rep_disabled: 0, no_live_signals: 1, strategy_error: 1 },
      });
    });

    it('returns a snapshot the caller cannot use to change the counters', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() });
      const snapshot = router.stats();
      snapshot.selections.RANDOM = 99;
      snapshot.fallbacksByReason.rep_disabled = 99;
      expect(router.stats().selections.RANDOM).to.equal(0);
      expect(router.stats().fallbacksByReason.rep_disabled).to.equal(0);
    });
  });

  describe('observe', () => {
    const obs = (agentId: string, latencyMs: number, outcome: Observation['outcome'], at: number): Observation => ({ agentId, latencyMs, outcome, at });

    it('feeds the observed statistics the strategies read, and counts observations', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores() });
      router.observe(obs('a', 120, 'completed', 10));
      router.observe(obs('a', 3, 'timeout', 20));
      expect(router.observationCount).to.equal(2);
      expect(router.observedStats.get('a', 20)).to.deep.include({ attempts: 2, successes: 1, failures: 1 });
    });

    it('learns into a shared store when one is given', () => {
      const observed = new ObservedStats();
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), observed });
      router.observe(obs('a', 120, 'completed', 10));
      expect(router.observedStats).to.equal(observed);
      expect(observed.has('a', 10)).to.equal(true);
    });

    it('lets every strategy learn; a strategy that fails to is logged, never thrown', () => {
      const seen: string[] = [];
      const log = recordingLog();
      const learner: RoutingStrategy = {
        name: 'LEARNER',
        select: (c) => ({ agentId: c[0]!.agentId }),
        observe: (o, ctx) => seen.push(`${o.agentId}:${ctx.observed.has(o.agentId, o.at)}`),
      };
      const broken: RoutingStrategy = {
        name: 'BROKEN',
        select: (c) => ({ agentId: c[0]!.agentId }),
        observe: () => {
          throw new Error('cannot learn');
        },
      };
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), log, strategies: { LEARNER: learner, BROKEN: broken } });
      expect(() => router.observe(obs('a', 1, 'completed', 0))).to.not.throw();
      expect(seen).to.deep.equal(['a:true']); // the store is updated before strategies learn
      expect(log.entries.filter((e) => e.level === 'warn').map((e) => (e.obj as { strategy: string }).strategy)).to.deep.equal(['BROKEN']);
    });
  });

  describe('extra strategies (e.g. a simulation ORACLE)', () => {
    const oracle: RoutingStrategy = { name: 'ORACLE', select: (c) => ({ agentId: c[c.length - 1]!.agentId }) };

    it('selects by a name outside StrategyName and counts it apart', () => {
      const events: string[] = [];
      const router = new AgentRouter({
        random: seededRandom(1),
        scores: new FakeScores(),
        strategies: { ORACLE: oracle },
        onSelection: (e) => events.push(e.strategy),
      });
      expect(router.select(list, 'ORACLE')).to.include({ agentId: 'c', strategy: 'ORACLE', fallback: false });
      expect(events).to.deep.equal(['ORACLE']);
      expect(router.stats().extraSelections).to.deep.equal({ ORACLE: 1 });
      expect(Object.keys(router.stats().selections).sort()).to.deep.equal([...STRATEGY_NAMES].sort());
    });

    it('may be the default strategy; an unknown default is refused at construction', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), strategies: { ORACLE: oracle } }, { defaultStrategy: 'ORACLE' });
      expect(router.select(list).strategy).to.equal('ORACLE');
      expect(() => new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { defaultStrategy: 'ORACLE' })).to.throw(TypeError, /default/);
      expect(() => new AgentRouter({ random: seededRandom(1), scores: new FakeScores() }, { defaultStrategy: 'toString' })).to.throw(TypeError);
    });

    it('still never resolves names from Object.prototype', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), strategies: { ORACLE: oracle } });
      for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(() => router.select(list, name), name).to.throw(TypeError);
    });

    it('falls back to RANDOM when an extra strategy throws', () => {
      const router = new AgentRouter({ random: seededRandom(1), scores: new FakeScores(), strategies: { ORACLE: throwing('ORACLE') } });
      expect(router.select(list, 'ORACLE')).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'strategy_error' });
    });
  });
});
