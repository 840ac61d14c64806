import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { TestClient } from '../support/ws-client.js';

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

describe('performance alerts (in-process daemon on a virtual clock, config file)', function () {
  this.timeout(20_000);
  let dir: string;
  let daemon: InProcessDaemon;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-alerts-'));
    writeFileSync(join(dir, 'coordd.yml'), CONFIG);
    daemon = await startInProcess({ COORDD_CONFIG: join(dir, 'coordd.yml') });
  });
  after(async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends alert.raised when one busy slot of four leaves the pool underused, and alert.cleared once it fills up', async () => {
    const op = daemon.connect();
    const sub = await op.request('coordination.alerts', { subscribe: true });
    expect(sub).to.deep.include({ active: [], subscribed: true });
    expect(sub.thresholds).to.deep.include({ evaluationIntervalSeconds: 0.05, windowSeconds: 0.5, minSamples: 3, utilizationMin: 0.6 });

    const agent = daemon.connect();
    await agent.request('agent.register', { agentId: 'alerts-1', capabilities: ['echo'], capacity: 4 });
    await op.request('pool.assign', { type: 'echo', payload: { n: 0 } });
    const runs = [await agent.nextOf('task.run')];

    const raised = (await daemon.advanceUntil(op.nextOf('alert.raised'), 'alert.raised')).params;
    expect(raised).to.have.keys(['alert', 'value', 'threshold', 'startedAt', 'message']);
    expect(raised).to.deep.include({ alert: 'utilization_low', value: 0.25, threshold: 0.6 });
    expect(raised.startedAt).to.be.within(daemon.clock.now() - 10_000, daemon.clock.now());
    const listed = await op.request('coordination.alerts', {});
    expect(listed.active.map((a: any) => [a.alert, a.startedAt])).to.deep.equal([['utilization_low', raised.startedAt]]);
    expect(listed.subscribed).to.equal(true);
    const metrics = await daemon.metrics();
    expect(metrics).to.match(/^coordd_alerts_active\{alert="utilization_low"\} 1$/m);
    expect(metrics).to.match(/^coordd_alerts_active\{alert="utilization_high"\} 0$/m);
    expect(metrics).to.match(/^coordd_alert_transitions_total\{alert="utilization_low",to="raised"\} 1$/m);
    const logged = await daemon.waitForLog((l) => l.msg === 'alert raised');
    expect(logged).to.deep.include({ level: 'warn', alert: 'utilization_low', value: 0.25, threshold: 0.6 });

    for (let n = 1; n < 4; n++) await op.request('pool.assign', { type: 'echo', payload: { n } });
    for (let n = 1; n < 4; n++) runs.push(await agent.nextOf('task.run'));
    const cleared = (await daemon.advanceUntil(op.nextOf('alert.cleared'), 'alert.cleared')).params;
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

/**
 * The other alerts, fed by the real daemon: task states feed the completion rate, lease waits the
 * conflict p95, RPC calls and task attempts the overhead ratio, and router.route its own time
 * and its deliveries. Utilization cannot fire here (min 0, max 1).
 */
const FEEDS_CONFIG = `
alerts:
  evaluationIntervalSeconds: 0.05
  windowSeconds: 10
  minSamples: 3
  utilizationMin: 0
  utilizationMax: 1
  overheadMax: 0.001
  completionRateMin: 0.9
  conflictResolutionMaxSeconds: 0.05
`;

// A spawned daemon: the RPC engine and router.route time themselves on the real clock, and these alerts are about that time.
describe('performance alerts fed by tasks, leases, RPC calls and routing (real daemon)', function () {
  this.timeout(20_000);
  let dir: string;
  let daemon: DaemonProcess;
  let op: TestClient;
  const raised = new Map<string, any>();
  const waiters = new Map<string, (params: any) => void>();

  /** The alert.raised notification for `alert`, waiting for it if need be. */
  const raisedAlert = (alert: string): Promise<any> =>
    raised.has(alert) ? Promise.resolve(raised.get(alert)) : new Promise((resolve) => waiters.set(alert, resolve));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-alert-feeds-'));
    writeFileSync(join(dir, 'coordd.yml'), FEEDS_CONFIG);
    daemon = await startDaemon({ COORDD_CONFIG: join(dir, 'coordd.yml') });
    op = await TestClient.connect(daemon.url);
    await op.request('coordination.alerts', { subscribe: true });
    void (async () => {
      for (;;) {
        const m = await op.nextOf('alert.raised');
        raised.set(m.params.alert, m.params);
        waiters.get(m.params.alert)?.(m.params);
      }
    })();
  });
  after(async () => {
    await op.close();
    expect(await daemon.stop()).to.equal(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('completion_rate_low: tasks that end FAILED feed the completion rate', async () => {
    const agent = await TestClient.connect(daemon.url);
    await agent.request('agent.register', { agentId: 'failing', capabilities: ['work'], capacity: 1 });
    for (let n = 0; n < 3; n++) {
      const { taskId } = await op.request('pool.assign', { type: 'work', payload: { n }, maxAttempts: 1 });
      const run = await agent.nextOf('task.run');
      agent.send({ jsonrpc: '2.0', id: run.id, error: { code: -32000, message: 'cannot', data: { retryable: false } } });
      expect((await op.request('task.wait', { taskId, timeoutMs: 5000 })).state).to.equal('FAILED');
    }
    const alert = await raisedAlert('completion_rate_low');
    expect(alert).to.deep.include({ value: 0, threshold: 0.9 });
    await agent.close();
  });

  it('coordination_overhead_high: RPC handling time over the agents’ task time feeds the overhead ratio', async () => {
    // The failed attempts above are the agent work; the RPC calls around them the coordination.
    const alert = await raisedAlert('coordination_overhead_high');
    expect(alert.threshold).to.equal(0.001);
    expect(alert.value).to.be.above(0.001);
    const text = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    expect(metric(text, 'coordd_coordination_seconds_total')).to.be.above(0);
    expect(metric(text, 'coordd_agent_work_seconds_total')).to.be.above(0);
  });

  it('router.route feeds its own time as coordination and the agent’s answer time as agent work', async () => {
    const agent = await TestClient.connect(daemon.url);
    await agent.request('agent.register', { agentId: 'slow-answer', capabilities: ['chat'], capacity: 1 });
    const before = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    const routed = op.request('router.route', { message: 'hi', requiredCapabilities: ['chat'] });
    const deliver = await agent.nextOf('message.deliver');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the agent thinks for 0.2 s
    agent.send({ jsonrpc: '2.0', id: deliver.id, result: 'hello' });
    expect((await routed).agentId).to.equal('slow-answer');
    const after = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    const delta = (name: string) => metric(after, name) - metric(before, name);
    expect(delta('coordd_agent_work_seconds_total')).to.be.within(0.19, 1);
    expect(delta('coordd_route_overhead_seconds_count')).to.equal(1);
    const own = delta('coordd_route_overhead_seconds_sum');
    // The agent's 0.2 s is not the daemon's: its own time stays well under it (a bound on wall time, not a speed target).
    expect(own).to.be.above(0).and.below(0.15);
    // router.route's own time is counted as coordination (the RPC observer leaves router.route out, so not twice).
    expect(delta('coordd_coordination_seconds_total')).to.be.at.least(own - 1e-9);
    await agent.close();
  });

  it('conflict_resolution_slow: lease acquires that waited feed the conflict p95', async () => {
    const a = await TestClient.connect(daemon.url);
    await a.request('agent.register', { agentId: 'holder', capabilities: [], capacity: 1 });
    const b = await TestClient.connect(daemon.url);
    await b.request('agent.register', { agentId: 'waiter', capabilities: [], capacity: 1 });
    for (let n = 0; n < 3; n++) {
      const held = await a.request('resource.acquire', { resource: `r${n}`, mode: 'exclusive', ttlSeconds: 60 });
      const waiting = b.request('resource.acquire', { resource: `r${n}`, mode: 'exclusive', ttlSeconds: 60, waitMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.request('resource.release', { leaseId: held.leaseId });
      await waiting;
    }
    const alert = await raisedAlert('conflict_resolution_slow');
    expect(alert.threshold).to.equal(0.05);
    expect(alert.value).to.be.above(0.05);
    await a.close();
    await b.close();
  });
});

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}
