import { expect } from 'chai';
import { runSimulation, type RunResult, type RunSpec } from '../../../bench/sim/run.js';
import { SCENARIOS } from '../../../bench/sim/scenarios.js';

/** A run's result without its wall-clock time (the only thing allowed to differ between identical runs). */
const comparable = (r: RunResult): string => JSON.stringify({ ...r, wallMs: 0 });

describe('bench/sim routing simulation', function () {
  this.timeout(60_000);

  it('gives identical results for the same seed, and different ones for another seed', async () => {
    const spec: RunSpec = { scenario: 4, variant: 0, strategy: 'RIPPLE_COORDINATION', seed: 7, tasks: 600 };
    const a = await runSimulation(spec);
    const b = await runSimulation(spec);
    const c = await runSimulation({ ...spec, seed: 8 });
    expect(a.decisions).to.be.greaterThan(0);
    expect(comparable(b)).to.equal(comparable(a));
    expect(comparable(c)).to.not.equal(comparable(a));
  });

  it('gives every strategy the same arrivals (common random numbers)', async () => {
    const spec: RunSpec = { scenario: 1, variant: 0, strategy: 'RANDOM', seed: 3, tasks: 500 };
    const random = await runSimulation(spec);
    const oracle = await runSimulation({ ...spec, strategy: 'ORACLE' });
    expect(oracle.submitted).to.equal(random.submitted);
  });

  it('ORACLE beats RANDOM on the heterogeneous fleet', async () => {
    for (const seed of [1, 2]) {
      const spec: RunSpec = { scenario: 1, variant: 1, strategy: 'RANDOM', seed, tasks: 1500 };
      const random = await runSimulation(spec);
      const oracle = await runSimulation({ ...spec, strategy: 'ORACLE' });
      expect(oracle.accuracy, 'the ORACLE is the accuracy reference').to.equal(1);
      expect(random.accuracy).to.be.lessThan(0.7);
      expect(oracle.latency.mean).to.be.lessThan(0.85 * random.latency.mean);
      expect(oracle.latency.p99).to.be.lessThan(random.latency.p99);
      expect(oracle.slo).to.be.greaterThan(random.slo);
    }
  });

  it('accounts for every task: completed + failed + cancelled = submitted, in every scenario', async () => {
    for (const sc of SCENARIOS) {
      for (const strategy of ['RANDOM', 'LEAST_LOADED'] as const) {
        const r = await runSimulation({ scenario: sc.id, variant: sc.variants.length - 1, strategy, seed: 5, tasks: 400 });
        expect(r.submitted, `${sc.key} ${strategy}`).to.be.greaterThan(300);
        expect(r.unfinished, `${sc.key} ${strategy}`).to.equal(0);
        expect(r.completed + r.failed + r.cancelled, `${sc.key} ${strategy}`).to.equal(r.submitted);
      }
    }
  });

  it('accounts for every task when the run cancels what is left at the end', async () => {
    // No time to drain: tasks still queued or running (some on the hung agent) are cancelled.
    const r = await runSimulation({ scenario: 4, variant: 1, strategy: 'RANDOM', seed: 2, tasks: 400, drainMs: 0 });
    expect(r.cancelled).to.be.greaterThan(0);
    expect(r.failed).to.be.greaterThan(0); // the sinkhole and the hung agent
    expect(r.unfinished).to.equal(0);
    expect(r.completed + r.failed + r.cancelled).to.equal(r.submitted);
  });
});
