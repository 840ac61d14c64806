import { expect } from 'chai';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import type { CoordinationOptions } from '../../../src/coordination/coordination-options.js';
import { AppError } from '../../../src/errors.js';
import { sequentialIds, uuid } from '../../../src/ids.js';
import { SIGNAL_TYPES, type SignalType } from '../../../src/schemas/common.js';
import { AgentCoordinationState, SingleSignalResult } from '../../../src/schemas/coordination.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

const ONLY = (type: SignalType): CoordinationOptions['weights'] =>
  Object.fromEntries(SIGNAL_TYPES.map((t) => [t, t === type ? 1 : 0])) as CoordinationOptions['weights'];

function setup(options: Partial<CoordinationOptions> = {}) {
  const clock = new VirtualClock();
  const svc = new CoordinationService({ clock, ids: sequentialIds('sig') }, options);
  return { clock, svc };
}

function expectUnknownAgent(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).errorName).to.equal('UNKNOWN_AGENT');
    expect((err as AppError).code).to.equal(-32010);
    return;
  }
  expect.fail('expected UNKNOWN_AGENT');
}

describe('CoordinationService', () => {
  describe('record and state', () => {
    it('stores the signal with id, timestamp, expiry and default confidence', () => {
      const { clock, svc } = setup();
      const t0 = clock.now();
      const r = svc.record({ agentId: 'a1', signalType: 'quality', value: 0.9, traceId: 'tr-1' });
      expect(r.signalId).to.equal('sig-1');
      expect(r.agentId).to.equal('a1');
      const state = svc.state('a1');
      expect(state.signals).to.deep.equal([
        { signalId: 'sig-1', signalType: 'quality', value: 0.9, confidence: 1, timestamp: t0, expiresAt: t0 + 60_000, traceId: 'tr-1' },
      ]);
      expect(state.lastUpdated).to.equal(t0);
      expect(state.scores.quality).to.be.closeTo(0.9, 1e-12);
      expect(state.scores.load).to.equal(0.5);
      expect(Object.keys(state.scores).sort()).to.deep.equal([...SIGNAL_TYPES].sort());
      expect(state.routingScore).to.be.closeTo(r.routingScore, 1e-12);
      expect(() => AgentCoordinationState.parse(state)).not.to.throw();
    });

    it('keeps only the latest signal per type in state', () => {
      const { clock, svc } = setup();
      svc.record({ agentId: 'a1', signalType: 'load', value: 0.1 });
      clock.advance(1000);
      svc.record({ agentId: 'a1', signalType: 'load', value: 0.7 });
      svc.record({ agentId: 'a1', signalType: 'cost', value: 0.3 });
      const state = svc.state('a1');
      expect(state.signals.map((s) => [s.signalType, s.value])).to.deep.equal([
        ['load', 0.7],
        ['cost', 0.3],
      ]);
      expect(state.lastUpdated).to.equal(clock.now());
      expect(state.signals[0]).not.to.have.property('traceId');
    });

    it('returns a uuid signalId with the production id generator', () => {
      const svc = new CoordinationService({ clock: new VirtualClock(), ids: uuid });
      const r = svc.record({ agentId: 'a1', signalType: 'load', value: 0.5 });
      expect(() => SingleSignalResult.parse(r)).not.to.throw();
    });

    it('inverts load, cost and latency but not capacity, quality or availability', () => {
      const { svc } = setup();
      for (const t of SIGNAL_TYPES) svc.record({ agentId: 'a1', signalType: t, value: 0.2 });
      const { scores } = svc.state('a1');
      for (const t of ['load', 'cost', 'latency'] as const) expect(scores[t], t).to.be.closeTo(0.8, 1e-12);
      for (const t of ['capacity', 'quality', 'availability'] as const) expect(scores[t], t).to.be.closeTo(0.2, 1e-12);
    });

    it('blends towards 0.5 by confidence', () => {
      const { svc } = setup();
      svc.record({ agentId: 'a1', signalType: 'quality', value: 1, confidence: 0.5 });
      svc.record({ agentId: 'a1', signalType: 'load', value: 1, confidence: 0.25 });
      svc.record({ agentId: 'a1', signalType: 'capacity', value: 1, confidence: 0 });
      const { scores } = svc.state('a1');
      expect(scores.quality).to.be.closeTo(0.75, 1e-12);
      expect(scores.load).to.be.closeTo(0.375, 1e-12);
      expect(scores.capacity).to.equal(0.5);
    });
  });

  describe('decay and expiry', () => {
    it('decays strictly towards 0.5 as time advances, reaching it at expiry', () => {
      const { clock, svc } = setup({ weights: ONLY('quality') });
      svc.record({ agentId: 'a1', signalType: 'quality', value: 1 });
      let prev = svc.routingScore('a1');
      expect(prev).to.be.closeTo(1, 1e-12);
      for (let t = 5_000; t < 60_000; t += 5_000) {
        clock.advance(5_000);
        const s = svc.routingScore('a1');
        expect(s).to.be.lessThan(prev).and.greaterThan(0.5);
        expect(svc.state('a1').scores.quality).to.be.closeTo(s, 1e-12);
        prev = s;
      }
      clock.advance(5_000); // age 60 s = ttl
      expect(svc.routingScore('a1')).to.equal(0.5);
    });

    it('decays a bad signal upwards to 0.5 as well', () => {
      const { clock, svc } = setup({ weights: ONLY('load') });
      svc.record({ agentId: 'a1', signalType: 'load', value: 1 });
      expect(svc.routingScore('a1')).to.be.closeTo(0, 1e-12);
      clock.advance(30_000);
      expect(svc.routingScore('a1')).to.be.closeTo(0.25, 1e-12); // freshness(0.5) = 0.5
    });

    it('treats an expired signal as missing and drops it from state', () => {
      const { clock, svc } = setup();
      svc.record({ agentId: 'a1', signalType: 'quality', value: 1 });
      expect(svc.hasLiveSignal('a1')).to.equal(true);
      clock.advance(60_000);
      const state = svc.state('a1');
      expect(state.signals).to.deep.equal([]);
      expect(state.scores.quality).to.equal(0.5);
      expect(state.routingScore).to.equal(0.5);
      expect(svc.hasLiveSignal('a1')).to.equal(false);
    });

    it('honours a custom ttlSeconds', () => {
      const { clock, svc } = setup();
      const t0 = clock.now();
      svc.record({ agentId: 'a1', signalType: 'quality', value: 1, ttlSeconds: 2 });
      svc.record({ agentId: 'a1', signalType: 'capacity', value: 1, ttlSeconds: 120 });
      expect(svc.state('a1').signals.map((s) => s.expiresAt)).to.deep.equal([t0 + 120_000, t0 + 2_000]);
      clock.advance(1_999);
      expect(svc.state('a1').scores.quality).to.be.greaterThan(0.5);
      clock.advance(1);
      expect(svc.state('a1').scores.quality).to.equal(0.5);
      clock.advance(60_000); // past the default ttl: the long-lived signal still counts
      expect(svc.state('a1').scores.capacity).to.be.greaterThan(0.5);
    });

    it('uses the configured default ttl', () => {
      const { clock, svc } = setup({ signalTtlMs: 10_000 });
      svc.record({ agentId: 'a1', signalType: 'quality', value: 1 });
      clock.advance(10_000);
      expect(svc.hasLiveSignal('a1')).to.equal(false);
    });
  });

  describe('history', () => {
    it('is bounded by maxHistorySize, dropping the oldest', () => {
      const { clock, svc } = setup({ maxHistorySize: 5 });
      const t0 = clock.now();
      for (let i = 0; i < 12; i++) {
        svc.record({ agentId: 'a1', signalType: 'load', value: i / 20 });
        clock.advance(100);
      }
      const h = svc.history('a1', 'load');
      expect(h.map((s) => s.value)).to.deep.equal([7, 8, 9, 10, 11].map((i) => i / 20));
      expect(h[0]).to.deep.equal({ value: 7 / 20, confidence: 1, timestamp: t0 + 700, expiresAt: t0 + 700 + 60_000 });
      expect(svc.history('a1', 'cost')).to.deep.equal([]);
      expect(svc.predictOverload('a1').samples).to.equal(5);
    });

    it('leaves out expired entries', () => {
      const { clock, svc } = setup();
      svc.record({ agentId: 'a1', signalType: 'load', value: 0.1, ttlSeconds: 1 });
      svc.record({ agentId: 'a1', signalType: 'load', value: 0.2, ttlSeconds: 10 });
      clock.advance(1_000);
      expect(svc.history('a1', 'load').map((s) => s.value)).to.deep.equal([0.2]);
    });
  });

  describe('routingScore', () => {
    it('is 0.5 for an unknown agent and without live signals', () => {
      const { svc } = setup();
      expect(svc.routingScore('nobody')).to.equal(0.5);
      expect(svc.hasLiveSignal('nobody')).to.equal(false);
    });

    it('is the weighted sum of dimension scores, latency included', () => {
      const weights = { load: 1, capacity: 1, quality: 1, cost: 1, availability: 1, latency: 5 };
      const { svc } = setup({ weights });
      svc.record({ agentId: 'a1', signalType: 'latency', value: 0 }); // latency score 1
      expect(svc.routingScore('a1')).to.be.closeTo((5 / 10) * 1 + (5 / 10) * 0.5, 1e-12);
      svc.record({ agentId: 'a1', signalType: 'quality', value: 0 }); // quality score 0
      expect(svc.routingScore('a1')).to.be.closeTo(0.5 + 0.1 * 0 + 0.4 * 0.5, 1e-12);
    });

    it('matches Σ weight × score with the default weights', () => {
      const { clock, svc } = setup();
      const values: Record<SignalType, number> = { load: 0.3, capacity: 0.8, quality: 0.9, cost: 0.6, latency: 0.2, availability: 1 };
      for (const t of SIGNAL_TYPES) svc.record({ agentId: 'a1', signalType: t, value: values[t], confidence: 0.9 });
      clock.advance(17_000);
      const { scores, routingScore } = svc.state('a1');
      const w = svc.options.weights;
      const expected = SIGNAL_TYPES.reduce((sum, t) => sum + w[t] * scores[t], 0);
      expect(routingScore).to.be.closeTo(expected, 1e-12);
      expect(w.latency).to.be.closeTo(0.15 / 1.15, 1e-12);
    });

    it('stays within [0,1] at the extremes', () => {
      const { svc } = setup();
      for (const t of SIGNAL_TYPES) svc.record({ agentId: 'best', signalType: t, value: t === 'load' || t === 'cost' || t === 'latency' ? 0 : 1 });
      for (const t of SIGNAL_TYPES) svc.record({ agentId: 'worst', signalType: t, value: t === 'load' || t === 'cost' || t === 'latency' ? 1 : 0 });
      expect(svc.routingScore('best')).to.be.closeTo(1, 1e-12).and.at.most(1);
      expect(svc.routingScore('worst')).to.be.closeTo(0, 1e-12).and.at.least(0);
    });

    it('ranks a lightly loaded agent above a heavily loaded one', () => {
      const { svc } = setup();
      svc.record({ agentId: 'light', signalType: 'load', value: 0.1 });
      svc.record({ agentId: 'heavy', signalType: 'load', value: 0.9 });
      expect(svc.routingScore('light')).to.be.greaterThan(0.5);
      expect(svc.routingScore('heavy')).to.be.lessThan(0.5);
    });
  });

  describe('unknown agents', () => {
    it('throw UNKNOWN_AGENT from state, history and predictOverload', () => {
      const { svc } = setup();
      expectUnknownAgent(() => svc.state('ghost'));
      expectUnknownAgent(() => svc.history('ghost', 'load'));
      expectUnknownAgent(() => svc.predictOverload('ghost'));
    });

    it('forget drops an agent', () => {
      const { svc } = setup();
      svc.record({ agentId: 'a1', signalType: 'load', value: 0.1 });
      expect(svc.forget('a1')).to.equal(true);
      expect(svc.forget('a1')).to.equal(false);
      expectUnknownAgent(() => svc.state('a1'));
      expect(svc.knownAgents()).to.deep.equal([]);
    });
  });

  describe('list', () => {
    const ids = Array.from({ length: 250 }, (_, i) => `agent-${String(i).padStart(3, '0')}`);

    function populated() {
      const s = setup();
      const shuffled = [...ids].sort((a, b) => (a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1));
      for (const id of shuffled) s.svc.record({ agentId: id, signalType: 'load', value: 0.5 });
      return s;
    }

    it('pages through agents in agentId order with an opaque cursor', () => {
      const { svc } = populated();
      const seen: string[] = [];
      let cursor: string | undefined;
      const sizes: number[] = [];
      do {
        const page = svc.list(cursor === undefined ? {} : { cursor });
        expect(page.total).to.equal(250);
        sizes.push(page.agents.length);
        seen.push(...page.agents.map((a) => a.agentId));
        cursor = page.nextCursor;
        if (cursor !== undefined) expect(cursor).not.to.include('agent-');
      } while (cursor !== undefined);
      expect(sizes).to.deep.equal([100, 100, 50]);
      expect(seen).to.deep.equal(ids);
      expect(svc.knownAgents()).to.deep.equal(ids);
    });

    it('honours limit and a cursor whose agent has since gone', () => {
      const { svc } = populated();
      const first = svc.list({ limit: 3 });
      expect(first.agents.map((a) => a.agentId)).to.deep.equal(['agent-000', 'agent-001', 'agent-002']);
      svc.forget('agent-002');
      const second = svc.list({ cursor: first.nextCursor!, limit: 2 });
      expect(second.agents.map((a) => a.agentId)).to.deep.equal(['agent-003', 'agent-004']);
      expect(second.total).to.equal(249);
    });

    it('returns an empty page without a cursor when there is nothing', () => {
      const { svc } = setup();
      expect(svc.list()).to.deep.equal({ agents: [], total: 0 });
    });
  });

  describe('options', () => {
    it('normalises weights and rejects bad values', () => {
      const { svc } = setup({ weights: { load: 2, capacity: 2, quality: 0, cost: 0, availability: 0, latency: 0 } });
      expect(svc.options.weights.load).to.equal(0.5);
      const clock = new VirtualClock();
      const ids = sequentialIds();
      expect(() => new CoordinationService({ clock, ids }, { weights: { ...ONLY('load'), load: 0 } })).to.throw(RangeError);
      expect(() => new CoordinationService({ clock, ids }, { weights: { ...ONLY('load'), cost: -1 } })).to.throw(RangeError);
      expect(() => new CoordinationService({ clock, ids }, { signalTtlMs: 0 })).to.throw(RangeError);
      expect(() => new CoordinationService({ clock, ids }, { maxHistorySize: 0 })).to.throw(RangeError);
      expect(() => new CoordinationService({ clock, ids }, { overloadThreshold: 1.5 })).to.throw(RangeError);
    });

    it('exposes enableRep for the router', () => {
      expect(setup().svc.repEnabled).to.equal(true);
      expect(setup({ enableRep: false }).svc.repEnabled).to.equal(false);
    });
  });
});
