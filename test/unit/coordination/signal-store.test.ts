import { expect } from 'chai';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import { sequentialIds } from '../../../src/ids.js';
import { SIGNAL_TYPES } from '../../../src/schemas/common.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('CoordinationService storage rows', () => {
  it('keeps every score intact while the row arrays grow', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds() });
    const expected = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const agentId = `a${i}`;
      for (const signalType of SIGNAL_TYPES) svc.record({ agentId, signalType, value: ((i * 7 + signalType.length) % 11) / 10 });
      expected.set(agentId, svc.routingScore(agentId));
    }
    for (const [agentId, score] of expected) expect(svc.routingScore(agentId), agentId).to.be.closeTo(score, 1e-12);
    expect(new Set(expected.values()).size).to.be.greaterThan(5);
  });

  it('gives a reused row a clean slate', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds() });
    for (const signalType of SIGNAL_TYPES) svc.record({ agentId: 'old', signalType, value: 1, ttlSeconds: 1 });
    clock.advance(1_000);
    expect(svc.sweep().forgottenAgents).to.equal(1);
    svc.record({ agentId: 'new', signalType: 'quality', value: 1 });
    const state = svc.state('new');
    expect(state.signals.map((s) => s.signalType)).to.deep.equal(['quality']);
    const w = svc.options.weights;
    expect(state.routingScore).to.be.closeTo(0.5 + w.quality * 0.5, 1e-12);
    expect(svc.hasLiveSignal('old')).to.equal(false);
    expect(svc.routingScore('old')).to.equal(0.5);
    expect(svc.predictOverload('new').samples).to.equal(0);
  });

  it('scores at an explicit instant when the caller passes one', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds() });
    svc.record({ agentId: 'a', signalType: 'quality', value: 1 });
    const later = clock.now() + 30_000;
    clock.advance(30_000);
    const viaClock = svc.routingScore('a');
    expect(svc.routingScore('a', later)).to.equal(viaClock);
    expect(svc.routingScore('a', later - 30_000)).to.be.greaterThan(viaClock);
    expect(svc.hasLiveSignal('a', later + 30_000)).to.equal(false);
  });

  it('skips agents with nothing due in a sweep but re-asks isConnected for dark ones', () => {
    const asked: string[] = [];
    let connected = true;
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds() });
    const registered = { has: (id: string) => (asked.push(id), connected) };
    svc.record({ agentId: 'busy', signalType: 'load', value: 0.5, ttlSeconds: 600 });
    svc.record({ agentId: 'idle', signalType: 'load', value: 0.5, ttlSeconds: 1 });
    clock.advance(1_000);
    svc.sweep(registered);
    expect(asked).to.deep.equal(['idle']);
    svc.sweep(registered);
    expect(asked).to.deep.equal(['idle', 'idle']);
    connected = false;
    expect(svc.sweep(registered).forgottenAgents).to.equal(1);
    expect(svc.knownAgents()).to.deep.equal(['busy']);
  });
});

describe('routing score cubic', () => {
  it('agrees with Σ weight × dimension score through decay, expiry and new signals', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds() });
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const w = svc.options.weights;
    const agents = ['a', 'b', 'c'];
    let checked = 0;
    for (let step = 0; step < 400; step++) {
      if (rnd() < 0.3) {
        const agentId = agents[Math.floor(rnd() * agents.length)]!;
        const signalType = SIGNAL_TYPES[Math.floor(rnd() * SIGNAL_TYPES.length)]!;
        svc.record({ agentId, signalType, value: rnd(), confidence: rnd(), ttlSeconds: 1 + rnd() * 30 });
      }
      clock.advance(Math.floor(rnd() * 700));
      for (const agentId of svc.knownAgents()) {
        const { scores } = svc.state(agentId);
        const expected = SIGNAL_TYPES.reduce((sum, t) => sum + w[t] * scores[t], 0);
        expect(svc.routingScore(agentId), `${agentId} at step ${step}`).to.be.closeTo(expected, 1e-9);
        checked++;
      }
      if (step % 50 === 0) svc.sweep();
    }
    expect(checked).to.be.greaterThan(500);
  });

  it('is exact for an instant before the last rebuild, when a since-expired signal still counted', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService(
      { clock, ids: sequentialIds() },
      { weights: { load: 0, capacity: 0, quality: 1, cost: 0, availability: 0, latency: 1 } },
    );
    const t0 = clock.now();
    svc.record({ agentId: 'a', signalType: 'quality', value: 1, ttlSeconds: 10 });
    svc.record({ agentId: 'a', signalType: 'latency', value: 1, ttlSeconds: 100 });
    clock.advance(20_000);
    const afterExpiry = svc.routingScore('a'); // rebuilt without the quality term
    expect(afterExpiry).to.be.lessThan(0.5);
    const earlier = svc.routingScore('a', t0 + 5_000); // quality still live then: x = 0.5, f = 0.5
    const latency = 0.5 + (1 - 0.05 * 0.05 * (3 - 2 * 0.05)) * (0 - 0.5);
    expect(earlier).to.be.closeTo(0.5 * (0.5 + 0.5 * 0.5) + 0.5 * latency, 1e-12);
  });
});
