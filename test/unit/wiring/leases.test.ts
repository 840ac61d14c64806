import { expect } from 'chai';
import { pino } from 'pino';
import { defaultFileConfig } from '../../../src/config-file.js';
import { sequentialIds } from '../../../src/ids.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { createAlerts } from '../../../src/wiring/alerts.js';
import { createLeases } from '../../../src/wiring/leases.js';
import { RecordingSubscribers, recordingAlertInputs, sample } from './alert-feeds.js';

describe('wiring: leases feed the conflict alert', () => {
  const logger = pino({ level: 'silent' });

  function setup() {
    const clock = new VirtualClock(1_700_000_000_000);
    const metrics = new Metrics({ defaultMetrics: false });
    const alerts = recordingAlertInputs();
    const leases = createLeases({ clock, ids: sequentialIds('L'), logger, metrics, alerts }, { ...defaultFileConfig().leases, maxWaitersPerResource: 1 });
    const acquire = (agentId: string, waitMs: number) =>
      leases.acquire({ agentId, sessionId: `s-${agentId}`, resource: 'r', mode: 'exclusive', ttlMs: 60_000, waitMs });
    return { clock, metrics, alerts, leases, acquire };
  }

  it('a contended acquire granted after waiting feeds conflictResolved with its wait, and the wait histogram', async () => {
    const { clock, metrics, alerts, leases, acquire } = setup();
    const held = acquire('a', 0) as { leaseId: string };
    const waiting = acquire('b', 10_000);
    clock.advance(250);
    leases.release('a', held.leaseId);
    await waiting;
    expect(alerts.calls).to.deep.equal([['conflictResolved', 0.25]]);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'coordd_resource_wait_seconds_count{outcome="granted"}')).to.equal(1);
    expect(sample(text, 'coordd_resource_wait_seconds_sum{outcome="granted"}')).to.equal(0.25);
  });

  it('a wait that times out feeds conflictEscalated; refusals at once (RESOURCE_BUSY, LEASE_QUEUE_FULL) feed nothing', async () => {
    const { clock, metrics, alerts, acquire } = setup();
    acquire('a', 0);
    expect(() => acquire('busy', 0))
      .to.throw()
      .with.property('errorName', 'RESOURCE_BUSY');
    const timedOut = Promise.resolve(acquire('b', 400)).catch((e: { errorName: string }) => e.errorName);
    expect(() => acquire('full', 1000))
      .to.throw()
      .with.property('errorName', 'LEASE_QUEUE_FULL');
    clock.advance(400);
    expect(await timedOut).to.equal('LEASE_WAIT_TIMEOUT');
    expect(alerts.calls).to.deep.equal([['conflictEscalated', 0.4]]);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'coordd_resource_wait_seconds_count{outcome="timeout"}')).to.equal(1);
    expect(sample(text, 'coordd_resource_conflicts_total{kind="exclusive_held",resolution="escalated"}')).to.equal(3);
  });

  it('through createAlerts, those waits reach the evaluator: conflict_resolution_slow raises on them', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const metrics = new Metrics({ defaultMetrics: false });
    const subscribers = new RecordingSubscribers();
    const { evaluator, inputs } = createAlerts(
      { clock, logger, metrics, subscribers, poolLoad: () => ({ totalSlots: 0, usedSlots: 0, queued: 0 }) },
      { ...defaultFileConfig().alerts, evaluationIntervalSeconds: 1, windowSeconds: 60, minSamples: 2, conflictResolutionMaxSeconds: 1 },
    );
    const leases = createLeases({ clock, ids: sequentialIds('L'), logger, metrics, alerts: inputs }, defaultFileConfig().leases);
    evaluator.start();
    for (const [holder, waiter] of [
      ['a', 'b'],
      ['c', 'd'],
    ]) {
      const held = leases.acquire({ agentId: holder!, sessionId: holder!, resource: holder!, mode: 'exclusive', ttlMs: 60_000 }) as { leaseId: string };
      const waiting = leases.acquire({ agentId: waiter!, sessionId: waiter!, resource: holder!, mode: 'shared', ttlMs: 60_000, waitMs: 30_000 });
      clock.advance(3_000);
      leases.release(holder!, held.leaseId);
      await waiting;
    }
    clock.advance(1_000);
    expect(evaluator.readings().conflictWaitP95).to.deep.include({ samples: 2 });
    expect(evaluator.readings().conflictWaitP95!.value).to.be.within(2.5, 5);
    expect(subscribers.seen).to.deep.equal(['raised:conflict_resolution_slow']);
    evaluator.stop();
  });
});
