import { expect } from 'chai';
import { CoordinationService, type CoordinationDeps } from '../../../src/coordination/coordination-service.js';
import { Sweeper, type SweepResult } from '../../../src/coordination/sweeper.js';
import { silentLog, type Log } from '../../../src/log.js';
import { sequentialIds } from '../../../src/ids.js';
import { CoordinationMetrics } from '../../../src/schemas/coordination.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

function setup(deps: Partial<CoordinationDeps> = {}) {
  const clock = new VirtualClock();
  const svc = new CoordinationService({ clock, ids: sequentialIds(), ...deps }, { cleanupIntervalMs: 1_000 });
  return { clock, svc, sweeper: sweeperOf(clock, svc) };
}

/** The timer that sweeps every cleanupIntervalMs (the daemon builds one after its pool). */
function sweeperOf(clock: VirtualClock, svc: CoordinationService, log: Log = silentLog): Sweeper {
  return new Sweeper({ clock, log }, svc.options.cleanupIntervalMs, () => svc.sweep());
}

describe('CoordinationService sweeper', () => {
  it('removes expired latest signals and forgets agents left with none', () => {
    const { clock, svc } = setup();
    svc.record({ agentId: 'short', signalType: 'load', value: 0.5, ttlSeconds: 10 });
    svc.record({ agentId: 'short', signalType: 'cost', value: 0.5, ttlSeconds: 10 });
    svc.record({ agentId: 'mixed', signalType: 'load', value: 0.5, ttlSeconds: 10 });
    svc.record({ agentId: 'mixed', signalType: 'quality', value: 0.5, ttlSeconds: 100 });
    clock.advance(10_000);
    const r = svc.sweep();
    expect(r.removedSignals).to.equal(3);
    expect(r.removedByType).to.deep.equal({ load: 2, capacity: 0, quality: 0, cost: 1, latency: 0, availability: 0 });
    expect(r.removedHistory).to.equal(3);
    expect(r.forgottenAgents).to.equal(1);
    expect(r.durationMs).to.be.at.least(0);
    expect(svc.knownAgents()).to.deep.equal(['mixed']);
    expect(svc.state('mixed').signals.map((s) => s.signalType)).to.deep.equal(['quality']);
    expect(svc.list().total).to.equal(1);
  });

  it('keeps connected agents even with no live signal', () => {
    const connected = new Set(['kept']);
    const { clock, svc } = setup();
    svc.record({ agentId: 'kept', signalType: 'load', value: 0.9 });
    svc.record({ agentId: 'gone', signalType: 'load', value: 0.9 });
    clock.advance(60_000);
    expect(svc.sweep(connected).forgottenAgents).to.equal(1);
    expect(svc.knownAgents()).to.deep.equal(['kept']);
    const state = svc.state('kept');
    expect(state.signals).to.deep.equal([]);
    expect(state.routingScore).to.equal(0.5);
    connected.clear();
    expect(svc.sweep(connected).forgottenAgents).to.equal(1);
    expect(svc.knownAgents()).to.deep.equal([]);
  });

  it('pops expired history from the front and keeps what is live', () => {
    const { clock, svc } = setup();
    for (let i = 0; i < 3; i++) svc.record({ agentId: 'a1', signalType: 'load', value: 0.1 * i, ttlSeconds: 5 });
    svc.record({ agentId: 'a1', signalType: 'load', value: 0.9, ttlSeconds: 50 });
    clock.advance(5_000);
    const r = svc.sweep();
    expect(r).to.include({ removedSignals: 0, removedHistory: 3, forgottenAgents: 0 });
    expect(svc.history('a1', 'load').map((s) => s.value)).to.deep.equal([0.9]);
    expect(svc.sweep()).to.include({ removedSignals: 0, removedHistory: 0 });
  });

  it('does not touch live signals', () => {
    const { clock, svc } = setup();
    svc.record({ agentId: 'a1', signalType: 'load', value: 0.2 });
    clock.advance(59_999);
    const before = svc.routingScore('a1');
    expect(svc.sweep()).to.include({ removedSignals: 0, removedHistory: 0, forgottenAgents: 0 });
    expect(svc.routingScore('a1')).to.equal(before);
    expect(svc.hasLiveSignal('a1')).to.equal(true);
  });

  it('runs on the clock every cleanupIntervalMs between start() and stop()', () => {
    const results: SweepResult[] = [];
    const { clock, svc, sweeper } = setup({ onSweep: (r) => results.push(r) });
    svc.record({ agentId: 'a1', signalType: 'load', value: 0.2, ttlSeconds: 1.5 });
    sweeper.start();
    sweeper.start(); // idempotent: still one timer
    expect(clock.pendingTimers()).to.equal(1);
    clock.advance(1_000);
    expect(results.map((r) => r.removedSignals)).to.deep.equal([0]);
    expect(svc.knownAgents()).to.deep.equal(['a1']);
    clock.advance(1_000);
    expect(results.map((r) => r.removedSignals)).to.deep.equal([0, 1]);
    expect(svc.knownAgents()).to.deep.equal([]);
    sweeper.stop();
    expect(clock.pendingTimers()).to.equal(0);
    clock.advance(10_000);
    expect(results).to.have.length(2);
    expect(svc.stats().sweeps.runs).to.equal(2);
  });

  it('keeps sweeping after a listener throws', () => {
    let calls = 0;
    const errors: unknown[] = [];
    const clock = new VirtualClock();
    const log = { debug() {}, info() {}, warn() {}, error: (o: unknown) => errors.push(o) };
    const svc = new CoordinationService(
      {
        clock,
        ids: sequentialIds(),
        onSweep: () => {
          calls++;
          throw new Error('boom');
        },
        log,
      },
      { cleanupIntervalMs: 1_000 },
    );
    const sweeper = sweeperOf(clock, svc, log);
    sweeper.start();
    clock.advance(3_000);
    expect(calls).to.equal(3);
    expect(errors).to.have.length(3);
    expect(svc.stats().sweeps.runs).to.equal(3);
    expect(() => svc.sweep()).not.to.throw();
    sweeper.stop();
  });
});

describe('CoordinationService stats', () => {
  it('counts accepted, rejected and expired signals by type, agents, and sweeps', () => {
    const { clock, svc } = setup();
    svc.record({ agentId: 'a1', signalType: 'load', value: 0.2, ttlSeconds: 1 });
    svc.record({ agentId: 'a1', signalType: 'load', value: 0.3, ttlSeconds: 1 });
    svc.record({ agentId: 'a2', signalType: 'latency', value: 0.3 });
    svc.recordRejected('cost');
    svc.recordRejected('cost');
    svc.recordRejected();
    clock.advance(1_000);
    svc.sweep();
    const stats = svc.stats();
    expect(stats.signals.accepted).to.deep.equal({ load: 2, capacity: 0, quality: 0, cost: 0, latency: 1, availability: 0 });
    expect(stats.signals.rejected).to.deep.equal({ load: 0, capacity: 0, quality: 0, cost: 2, latency: 0, availability: 0 });
    expect(stats.signals.rejectedUntyped).to.equal(1);
    expect(stats.signals.expired).to.deep.equal({ load: 1, capacity: 0, quality: 0, cost: 0, latency: 0, availability: 0 });
    expect(stats.agentsTracked).to.equal(1);
    expect(stats.sweeps.runs).to.equal(1);
    expect(stats.sweeps.lastRemovedSignals).to.equal(1);
    expect(stats.sweeps.lastDurationMs).to.be.a('number').and.at.least(0);
    const schema = CoordinationMetrics.pick({ signals: true, agentsTracked: true, predictions: true, sweeps: true });
    expect(() => schema.parse(stats)).not.to.throw();
  });
});
