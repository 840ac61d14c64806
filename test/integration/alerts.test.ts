import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

/** The next message of a method (skipping others). */
async function nextOf(c: TestClient, method: string): Promise<any> {
  for (;;) {
    const m = await c.next();
    if (m.method === method) return m;
  }
}

/**
 * Evaluated every 50 ms over a 0.5 s window, 3 samples to raise; only utilization_low can fire
 * (the other thresholds are out of reach).
 */
const CONFIG = `
alerts:
  evaluationIntervalSeconds: 0.05
  windowSeconds: 0.5
  minSamples: 3
  utilizationMin: 0.6
  utilizationMax: 1
  overheadMax: 1
  completionRateMin: 0
  conflictResolutionMaxSeconds: 300
`;

describe('performance alerts (real daemon, config file)', function () {
  this.timeout(20_000);
  let dir: string;
  let daemon: DaemonProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-alerts-'));
    writeFileSync(join(dir, 'coordd.yml'), CONFIG);
    daemon = await startDaemon({ COORDD_CONFIG: join(dir, 'coordd.yml') });
  });
  after(async () => {
    expect(await daemon.stop()).to.equal(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends alert.raised when one busy slot of four leaves the pool underused, and alert.cleared once it fills up', async () => {
    const op = await TestClient.connect(daemon.url);
    const sub = await op.request('coordination.alerts', { subscribe: true });
    expect(sub).to.deep.include({ active: [], subscribed: true });
    expect(sub.thresholds).to.deep.include({ evaluationIntervalSeconds: 0.05, windowSeconds: 0.5, minSamples: 3, utilizationMin: 0.6 });

    const agent = await TestClient.connect(daemon.url);
    await agent.request('agent.register', { agentId: 'alerts-1', capabilities: ['echo'], capacity: 4 });
    await op.request('pool.assign', { type: 'echo', payload: { n: 0 } });
    const runs = [await nextOf(agent, 'task.run')];

    const raised = (await nextOf(op, 'alert.raised')).params;
    expect(raised).to.have.keys(['alert', 'value', 'threshold', 'startedAt', 'message']);
    expect(raised).to.deep.include({ alert: 'utilization_low', value: 0.25, threshold: 0.6 });
    expect(raised.startedAt).to.be.within(Date.now() - 10_000, Date.now());
    const listed = await op.request('coordination.alerts', {});
    expect(listed.active.map((a: any) => [a.alert, a.startedAt])).to.deep.equal([['utilization_low', raised.startedAt]]);
    expect(listed.subscribed).to.equal(true);
    const metrics = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    expect(metrics).to.match(/^coordd_alerts_active\{alert="utilization_low"\} 1$/m);
    expect(metrics).to.match(/^coordd_alerts_active\{alert="utilization_high"\} 0$/m);
    expect(metrics).to.match(/^coordd_alert_transitions_total\{alert="utilization_low",to="raised"\} 1$/m);
    const logged = await daemon.waitForLog((l) => l.msg === 'alert raised');
    expect(logged).to.deep.include({ level: 'warn', alert: 'utilization_low', value: 0.25, threshold: 0.6 });

    for (let n = 1; n < 4; n++) await op.request('pool.assign', { type: 'echo', payload: { n } });
    for (let n = 1; n < 4; n++) runs.push(await nextOf(agent, 'task.run'));
    const cleared = (await nextOf(op, 'alert.cleared')).params;
    expect(cleared).to.deep.include({ alert: 'utilization_low', threshold: 0.6, startedAt: raised.startedAt, reason: 'recovered' });
    expect(cleared.value).to.be.at.least(0.62);
    expect(cleared.clearedAt).to.be.at.least(raised.startedAt);
    expect((await daemon.waitForLog((l) => l.msg === 'alert cleared')).level).to.equal('info');
    expect((await op.request('coordination.alerts', { subscribe: false })).subscribed).to.equal(false);

    for (const [params, paths] of [
      [{ subscribe: 'yes' }, ['subscribe']],
      [{ subscribe: true, extra: 1 }, ['extra']],
      [[1], ['params']],
    ] as const) {
      const reply = await op.call('coordination.alerts', params);
      expect(reply.error?.code, JSON.stringify(params)).to.equal(-32602);
      expect(reply.error.data.paths, JSON.stringify(params)).to.deep.equal(paths);
    }
    for (const run of runs) agent.send({ jsonrpc: '2.0', id: run.id, result: 'done' });
    await agent.close();
    await op.close();
  });
});
