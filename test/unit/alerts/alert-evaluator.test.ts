import { expect } from 'chai';
import { AlertEvaluator, CONFLICT_WAIT_BUCKETS, type AlertEvaluatorOptions, type PoolLoad } from '../../../src/alerts/alert-evaluator.js';
import { defaultFileConfig } from '../../../src/config-file.js';
import { Metrics } from '../../../src/observability/metrics.js';
import type { ActiveAlert, AlertClearedNotification } from '../../../src/schemas/alerts.js';
import { ActiveAlert as ActiveAlertSchema, AlertClearedNotification as ClearedSchema } from '../../../src/schemas/alerts.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { recordingLog } from '../../support/in-memory-session.js';

const INTERVAL_MS = 10_000;

/** An evaluator on a virtual clock: 10 s evaluations, a 30 s window (the last three evaluations), 3 samples to raise. */
function setup(overrides: Partial<AlertEvaluatorOptions> = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const load: PoolLoad = { totalSlots: 0, usedSlots: 0, queued: 0 };
  const raised: ActiveAlert[] = [];
  const cleared: AlertClearedNotification[] = [];
  const log = recordingLog();
  const evaluator = new AlertEvaluator(
    { clock, log, poolLoad: () => ({ ...load }), observer: { raised: (a) => raised.push(a), cleared: (a) => cleared.push(a) } },
    { ...defaultFileConfig().alerts, evaluationIntervalSeconds: 10, windowSeconds: 30, minSamples: 3, ...overrides },
  );
  evaluator.start();
  /** Run `n` evaluations, calling `each` before every one. */
  const tick = (n = 1, each: () => void = () => {}) => {
    for (let i = 0; i < n; i++) {
      each();
      clock.advance(INTERVAL_MS);
    }
  };
  const names = (list: { alert: string }[]) => list.map((a) => a.alert);
  return { clock, load, raised, cleared, evaluator, tick, names, log };
}

describe('AlertEvaluator', () => {
  describe('utilization_low', () => {
    it('raises once the mean utilization with work stays below utilizationMin for minSamples evaluations, clears when it recovers', () => {
      const t = setup();
      Object.assign(t.load, { totalSlots: 10, usedSlots: 2 });
      t.tick(2);
      expect(t.raised, 'two samples are not enough').to.be.empty;
      t.tick();
      expect(t.names(t.raised)).to.deep.equal(['utilization_low']);
      expect(t.raised[0]).to.deep.include({ threshold: 0.6, startedAt: t.clock.now() });
      expect(t.raised[0]!.value).to.be.closeTo(0.2, 1e-9);
      expect(t.raised[0]!.message).to.equal('pool utilization 20.0% is below 60.0% (mean of 3 samples with work over 30 s)');
      expect(t.evaluator.list()).to.deep.equal(t.raised);

      t.load.usedSlots = 9;
      t.tick(); // mean of 0.2, 0.2, 0.9 = 0.43
      t.tick(); // 0.67 ≥ 0.62 (0.6 plus 5% of the way to 1)
      expect(t.names(t.cleared)).to.deep.equal(['utilization_low']);
      expect(t.cleared[0]).to.deep.include({ reason: 'recovered', threshold: 0.6, startedAt: t.raised[0]!.startedAt, clearedAt: t.clock.now() });
      expect(t.cleared[0]!.value).to.be.closeTo(0.6667, 1e-4);
      expect(t.evaluator.list()).to.be.empty;
      expect(t.names(t.raised), 'utilizationMax not crossed').to.deep.equal(['utilization_low']);
    });

    it('is not raised for an empty pool, nor for an idle pool with no work', () => {
      const t = setup();
      t.load.queued = 5; // work, but no agents
      t.tick(5);
      Object.assign(t.load, { totalSlots: 10, usedSlots: 0, queued: 0 }); // agents, no work
      t.tick(5);
      expect(t.raised).to.be.empty;
      expect(t.evaluator.readings().utilization).to.equal(undefined);
    });

    it('counts a task submitted since the last evaluation as work even if it already finished', () => {
      const t = setup();
      Object.assign(t.load, { totalSlots: 10, usedSlots: 0 });
      t.tick(3, () => t.evaluator.taskEntered('PENDING'));
      expect(t.raised.map((a) => [a.alert, a.value])).to.deep.equal([['utilization_low', 0]]);
    });

    it('clears with reason no_data when the work stops and the samples leave the window', () => {
      const t = setup();
      Object.assign(t.load, { totalSlots: 10, usedSlots: 1 });
      t.tick(3);
      expect(t.names(t.raised)).to.deep.equal(['utilization_low']);
      t.load.usedSlots = 0;
      t.tick(); // two samples left in the window: below minSamples
      expect(t.cleared).to.have.length(1);
      expect(t.cleared[0]).to.deep.include({ alert: 'utilization_low', value: null, reason: 'no_data' });
      expect(t.cleared[0]!.message).to.match(/fewer than 3 samples/);
    });
  });

  describe('utilization_high', () => {
    it('raises above utilizationMax and clears only once back inside by the margin (hysteresis)', () => {
      const t = setup();
      Object.assign(t.load, { totalSlots: 100, usedSlots: 100 });
      t.tick(3);
      expect(t.raised.map((a) => [a.alert, a.value])).to.deep.equal([['utilization_high', 1]]);
      t.load.usedSlots = 93;
      t.tick(3); // mean 0.93: below 0.95 but above 0.9025
      expect(t.cleared).to.be.empty;
      expect(t.evaluator.list()[0]).to.deep.include({ alert: 'utilization_high', value: 0.93, startedAt: t.raised[0]!.startedAt });
      t.load.usedSlots = 90;
      t.tick(3);
      expect(t.cleared.map((a) => [a.alert, a.reason, a.value])).to.deep.equal([['utilization_high', 'recovered', 0.9]]);
      expect(t.cleared[0]!.message).to.equal('pool utilization 90.0% is back within 95.0%');
    });
  });

  describe('coordination_overhead_high', () => {
    it('raises when daemon time exceeds overheadMax of agent work time, clears when it falls back', () => {
      const t = setup();
      t.tick(1, () => {
        t.evaluator.agentWork(1);
        t.evaluator.agentWork(1);
        t.evaluator.coordinationTime(0.2);
      });
      expect(t.raised, 'two work items are below minSamples').to.be.empty;
      t.tick(1, () => t.evaluator.agentWork(2));
      expect(t.raised, '0.2 s / 4 s = 0.05 is not above 0.05').to.be.empty;
      t.tick(1, () => t.evaluator.coordinationTime(0.01));
      expect(t.names(t.raised)).to.deep.equal(['coordination_overhead_high']);
      expect(t.raised[0]!.value).to.be.closeTo(0.0525, 1e-9);
      expect(t.raised[0]!.message).to.match(/^coordination overhead .* 5\.25% is above 5\.00% \(3 work items over 30 s\)$/);
      t.tick(2, () => {
        for (let i = 0; i < 5; i++) t.evaluator.agentWork(2);
        t.evaluator.coordinationTime(0.01);
      });
      expect(t.cleared.map((a) => [a.alert, a.reason])).to.deep.equal([['coordination_overhead_high', 'recovered']]);
      expect(t.cleared[0]!.value).to.be.below(0.0475);
    });

    it('ignores a negative or zero time and has no reading without agent work', () => {
      const t = setup();
      t.tick(3, () => t.evaluator.coordinationTime(5));
      expect(t.evaluator.readings().overhead).to.equal(undefined);
      t.evaluator.coordinationTime(-1);
      t.tick();
      expect(t.raised).to.be.empty;
    });
  });

  describe('completion_rate_low', () => {
    it('raises when completed / (completed + failed) is below completionRateMin, ignores cancelled, clears as failures leave the window', () => {
      const t = setup();
      t.tick(1, () => {
        for (let i = 0; i < 20; i++) t.evaluator.taskEntered('CANCELLED');
        t.evaluator.taskEntered('COMPLETED');
        t.evaluator.taskEntered('FAILED');
      });
      expect(t.raised, 'two finished tasks are below minSamples').to.be.empty;
      t.tick(1, () => t.evaluator.taskEntered('COMPLETED'));
      expect(t.raised.map((a) => [a.alert, a.threshold])).to.deep.equal([['completion_rate_low', 0.95]]);
      expect(t.raised[0]!.value).to.be.closeTo(2 / 3, 1e-9);
      t.tick(3, () => {
        for (let i = 0; i < 10; i++) t.evaluator.taskEntered('COMPLETED');
      });
      expect(t.cleared.map((a) => [a.alert, a.reason, a.value])).to.deep.equal([['completion_rate_low', 'recovered', 1]]);
    });
  });

  describe('conflict_resolution_slow', () => {
    it('raises when the p95 wait of resolved and escalated conflicts exceeds the max, clears when waits get short', () => {
      const t = setup();
      t.tick(1, () => {
        t.evaluator.conflictResolved(0.01);
        t.evaluator.conflictResolved(20);
        t.evaluator.conflictEscalated(40);
      });
      expect(t.names(t.raised)).to.deep.equal(['conflict_resolution_slow']);
      expect(t.raised[0]).to.deep.include({ threshold: 5 });
      // rank 0.95 × 3 = 2.85 falls in the 30–60 s bucket: 30 + 30 × 0.85, as PromQL's histogram_quantile gives.
      expect(t.raised[0]!.value).to.be.closeTo(55.5, 1e-9);
      t.tick(3, () => {
        for (let i = 0; i < 50; i++) t.evaluator.conflictResolved(0.02);
      });
      expect(t.cleared.map((a) => [a.alert, a.reason])).to.deep.equal([['conflict_resolution_slow', 'recovered']]);
      expect(t.cleared[0]!.value).to.be.at.most(0.025);
    });

    it('uses the buckets of coordd_resource_wait_seconds', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.conflictWait.labels('granted').observe(1);
      const { values } = await metrics.conflictWait.get();
      const les = values.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => (v.labels as { le: number | string }).le);
      expect([...CONFLICT_WAIT_BUCKETS, '+Inf']).to.deep.equal(les);
    });
  });

  it('respects minSamples for every rule', () => {
    const t = setup({ minSamples: 50 });
    Object.assign(t.load, { totalSlots: 10, usedSlots: 1 });
    t.tick(3, () => {
      for (let i = 0; i < 10; i++) {
        t.evaluator.agentWork(0.01);
        t.evaluator.coordinationTime(1);
        t.evaluator.taskEntered('FAILED');
        t.evaluator.conflictResolved(100);
      }
    });
    expect(t.raised).to.be.empty;
    const r = t.evaluator.readings();
    expect([r.utilization?.samples, r.overhead?.samples, r.completionRate?.samples, r.conflictWaitP95?.samples]).to.deep.equal([3, 30, 30, 30]);
  });

  it('gives notifications the documented shapes', () => {
    const t = setup();
    t.tick(3, () => t.evaluator.taskEntered('FAILED'));
    t.tick(3);
    expect(t.raised).to.have.length(1);
    expect(t.cleared).to.have.length(1);
    expect(Object.keys(t.raised[0]!).sort()).to.deep.equal(['alert', 'message', 'startedAt', 'threshold', 'value']);
    expect(Object.keys(t.cleared[0]!).sort()).to.deep.equal(['alert', 'clearedAt', 'message', 'reason', 'startedAt', 'threshold', 'value']);
    expect(ActiveAlertSchema.strict().parse(t.raised[0])).to.deep.equal(t.raised[0]);
    expect(ClearedSchema.strict().parse(t.cleared[0])).to.deep.equal(t.cleared[0]);
  });

  it('keeps evaluating when an observer throws, and logs it', () => {
    const clock = new VirtualClock();
    const log = recordingLog();
    const evaluator = new AlertEvaluator(
      {
        clock,
        log,
        poolLoad: () => ({ totalSlots: 4, usedSlots: 4, queued: 0 }),
        observer: {
          raised: () => {
            throw new Error('subscriber gone');
          },
        },
      },
      { ...defaultFileConfig().alerts, evaluationIntervalSeconds: 1, windowSeconds: 10, minSamples: 1 },
    );
    evaluator.evaluate();
    expect(evaluator.activeNames()).to.deep.equal(['utilization_high']);
    expect(log.lines.map((l) => l.msg)).to.deep.equal(['alert observer failed']);
  });

  it('evaluates on the clock between start() and stop()', () => {
    const t = setup({ minSamples: 1 });
    Object.assign(t.load, { totalSlots: 1, usedSlots: 1 });
    expect(t.clock.pendingTimers()).to.equal(1);
    t.evaluator.start();
    expect(t.clock.pendingTimers(), 'start is idempotent').to.equal(1);
    t.clock.advance(INTERVAL_MS - 1);
    expect(t.raised).to.be.empty;
    t.clock.advance(1);
    expect(t.names(t.raised)).to.deep.equal(['utilization_high']);
    t.evaluator.stop();
    t.evaluator.stop();
    expect(t.clock.pendingTimers()).to.equal(0);
    t.load.usedSlots = 0;
    t.clock.advance(10 * INTERVAL_MS);
    expect(t.cleared, 'no evaluation after stop').to.be.empty;
    expect(t.evaluator.activeNames()).to.deep.equal(['utilization_high']);
  });
});
