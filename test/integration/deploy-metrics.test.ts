import { expect } from 'chai';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { deployedMetricNames, missingMetrics, PROMETHEUS_SERIES } from '../support/promql-names.js';

describe('deploy/: Prometheus rules and Grafana dashboard against a fresh daemon', () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInProcess();
  });
  after(async () => {
    await daemon.stop();
  });

  it('uses only metrics that /metrics of a freshly started daemon declares (HELP/TYPE), besides Prometheus` own series', async () => {
    const exposition = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    const uses = deployedMetricNames();
    expect(uses.size).to.be.above(30);
    const missing = missingMetrics(
      [...uses.keys()].filter((n) => !PROMETHEUS_SERIES.has(n)),
      exposition,
    );
    expect(missing.map((n) => `${n} (${uses.get(n)!.join(', ')})`)).to.deep.equal([]);
  });
});
