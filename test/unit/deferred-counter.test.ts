import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import { DeferredCounter } from '../../src/observability/deferred-counter.js';
import { Metrics } from '../../src/observability/metrics.js';

describe('DeferredCounter', () => {
  it('adds pending counts to the counter whenever it is read', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['kind'] as const, registers: [registry] });
    const deferred = new DeferredCounter(counter);
    const a = deferred.labels('a');
    const b = deferred.labels('b');
    a.inc();
    a.inc(2);
    b.inc();
    counter.labels('b').inc(10); // direct increments still count
    expect(await registry.metrics())
      .to.include('x_total{kind="a"} 3')
      .and.include('x_total{kind="b"} 11');
    a.inc();
    const values = (await counter.get()).values.map((v) => [v.labels.kind, v.value]).sort();
    expect(values).to.deep.equal([
      ['a', 4],
      ['b', 11],
    ]);
    expect(await registry.metrics()).to.include('x_total{kind="a"} 4'); // flushed once, not twice
  });

  it('keeps a collect hook the counter already had', async () => {
    const registry = new Registry();
    let collected = 0;
    const counter = new Counter({ name: 'y_total', help: 'y', registers: [registry], collect: () => void collected++ });
    new DeferredCounter(counter).labels().inc(5);
    expect(await registry.metrics()).to.include('y_total 5');
    expect(collected).to.equal(1);
  });

  it('backs coordd_rpc_requests_total: observeCall counts are exact when scraped', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    for (let i = 0; i < 3; i++) metrics.observeCall('coordination.signal', 'ok', 0.0001);
    metrics.observeCall('coordination.signal', '-32602', 0.0001);
    const text = await metrics.registry.metrics();
    expect(text).to.include('coordd_rpc_requests_total{method="coordination.signal",code="ok"} 3');
    expect(text).to.include('coordd_rpc_requests_total{method="coordination.signal",code="-32602"} 1');
    expect(text).to.include('coordd_rpc_request_duration_seconds_count{method="coordination.signal"} 4');
  });
});
