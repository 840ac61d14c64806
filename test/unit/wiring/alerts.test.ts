import { expect } from 'chai';
import { pino } from 'pino';
import { defaultFileConfig } from '../../../src/config-file.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { createAlerts } from '../../../src/wiring/alerts.js';
import { RecordingSubscribers, sample } from './alert-feeds.js';

describe('wiring: createAlerts (the feeds reach both the evaluator and Prometheus)', () => {
  function setup(overrides: Partial<ReturnType<typeof defaultFileConfig>['alerts']> = {}) {
    const clock = new VirtualClock(1_700_000_000_000);
    const metrics = new Metrics({ defaultMetrics: false });
    const subscribers = new RecordingSubscribers();
    const load = { totalSlots: 0, usedSlots: 0, queued: 0 };
    const { evaluator, inputs } = createAlerts(
      { clock, logger: pino({ level: 'silent' }), metrics, subscribers, poolLoad: () => load },
      { ...defaultFileConfig().alerts, evaluationIntervalSeconds: 1, windowSeconds: 10, minSamples: 3, ...overrides },
    );
    evaluator.start();
    return { clock, metrics, subscribers, evaluator, inputs, load };
  }

  it('coordination time and agent work move the overhead ratio and their counters; coordination_overhead_high raises and clears', async () => {
    const { clock, metrics, subscribers, evaluator, inputs } = setup({ overheadMax: 0.1 });
    for (let i = 0; i < 3; i++) {
      inputs.agentWork(1);
      inputs.coordinationTime(0.5);
    }
    clock.advance(1000);
    expect(evaluator.readings().overhead).to.deep.equal({ value: 0.5, samples: 3 });
    expect(subscribers.seen).to.deep.equal(['raised:coordination_overhead_high']);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'coordd_coordination_seconds_total')).to.equal(1.5);
    expect(sample(text, 'coordd_agent_work_seconds_total')).to.equal(3);
    expect(sample(text, 'coordd_alert_transitions_total{alert="coordination_overhead_high",to="raised"}')).to.equal(1);
    for (let i = 0; i < 100; i++) inputs.agentWork(1);
    clock.advance(1000);
    expect(evaluator.readings().overhead!.value).to.be.below(0.1);
    expect(subscribers.seen.at(-1)).to.equal('cleared:coordination_overhead_high');
    evaluator.stop();
  });

  it('conflict waits feed the p95 the conflict alert reads', () => {
    const { clock, subscribers, evaluator, inputs } = setup({ conflictResolutionMaxSeconds: 1 });
    inputs.conflictResolved(2);
    inputs.conflictResolved(2);
    inputs.conflictEscalated(4);
    clock.advance(1000);
    expect(evaluator.readings().conflictWaitP95!.samples).to.equal(3);
    expect(subscribers.seen).to.deep.equal(['raised:conflict_resolution_slow']);
    evaluator.stop();
  });

  it('exports every task state and alert transition from the start (so PromQL sees the first increase)', async () => {
    const { metrics, evaluator } = setup();
    const text = await metrics.registry.metrics();
    expect(sample(text, 'coordd_tasks_total{state="FAILED"}')).to.equal(0);
    expect(text).to.contain('coordd_tasks_total{state="COMPLETED"} 0');
    expect(text).to.contain('coordd_alert_transitions_total{alert="completion_rate_low",to="cleared"} 0');
    evaluator.stop();
  });
});
