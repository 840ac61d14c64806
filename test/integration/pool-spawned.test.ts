import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

/** The pool with real child processes from pool.spawn (the built-in echo worker). */
describe('agent pool with spawned workers (real child processes)', function () {
  this.timeout(60_000);
  let daemon: DaemonProcess;
  let op: TestClient;

  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-tpl-'));
    const templates = join(dir, 'templates.json');
    writeFileSync(
      templates,
      JSON.stringify({
        broken: { command: process.execPath, args: ['-e', "console.error('cannot start: missing model'); process.exit(3)"], restart: 'never' },
      }),
    );
    daemon = await startDaemon({ COORDD_AGENT_TEMPLATES: templates, COORDD_RETRY_BASE_DELAY: '0.05' });
    op = await TestClient.connect(daemon.url);
  });
  afterEach(async function () {
    await op.close();
    const code = await daemon.stop();
    if (this.currentTest?.state === 'failed') {
      for (const l of daemon.logs.filter((x) => x.level === 'error' || x.level === 'warn')) console.error(JSON.stringify(l).slice(0, 800));
    }
    expect(code).to.equal(0);
  });

  it('pool.templates lists the built-in and configured templates with their running workers, never their commands', async () => {
    const before = await op.request('pool.templates', {});
    expect(before.templates).to.deep.equal([
      { name: 'echo', builtIn: true, restart: 'on-failure', running: 0 },
      { name: 'broken', builtIn: false, restart: 'never', running: 0 },
    ]);
    expect(JSON.stringify(before)).not.to.contain('missing model');
    await op.request('pool.spawn', { count: 2, template: 'echo' });
    expect((await op.request('pool.templates')).templates[0]).to.deep.include({ name: 'echo', running: 2 });
    const bad = await op.call('pool.templates', { template: 'echo' });
    expect(bad.error.code).to.equal(-32602);
    // The role check (FORBIDDEN for agents) is in operator-api.test.ts, where tokens are configured.
    const metrics = await op.request('coordination.metrics');
    expect(metrics.defaultStrategy).to.equal('RIPPLE_COORDINATION');
  });

  it('SC-001: N agents, N + k tasks: N run in parallel, k queue and start as capacity opens, all complete, none lost', async () => {
    const N = 3;
    const k = 4;
    const spawned = await op.request('pool.spawn', { count: N });
    expect(spawned.agentIds).to.have.length(N);
    const assigned = [];
    for (let i = 0; i < N + k; i++) assigned.push(await op.request('pool.assign', { type: 'echo', payload: { n: i, sleepMs: 300 } }));
    expect(assigned.filter((a) => a.state === 'IN_PROGRESS')).to.have.length(N);
    expect(assigned.filter((a) => a.state === 'PENDING')).to.have.length(k);
    const status = await op.request('pool.status', {});
    expect(status.capacity).to.deep.equal({ total: N, used: N });
    expect(status.queue.depth).to.equal(k);
    const done = await Promise.all(assigned.map((a) => op.request('task.wait', { taskId: a.taskId, timeoutMs: 20_000 })));
    expect(done.map((t) => t.state)).to.deep.equal(Array(N + k).fill('COMPLETED'));
    expect(done.map((t) => t.result.echo.n)).to.deep.equal([...Array(N + k).keys()]);
    const ranOn = new Set(done.map((t) => t.agentId));
    expect(ranOn.size).to.equal(N);
    const after = await op.request('pool.status', {});
    expect(after.tasks.byState.COMPLETED).to.equal(N + k);
    expect(after.queue.depth).to.equal(0);
    const iso = await op.request('pool.isolationReport', {});
    expect(iso.ok).to.equal(true);
    expect(new Set(iso.agents.map((a: any) => a.contextWindowId)).size).to.equal(N);
    expect(iso.agents.every((a: any) => Number.isInteger(a.pid))).to.equal(true);
  });

  it('kill -9 of an agent mid-task: the task completes on another agent and its attempts show both', async () => {
    const spawned = await op.request('pool.spawn', { count: 2 });
    const task = await op.request('pool.assign', { type: 'echo', payload: { sleepMs: 1500 }, preferredAgentId: spawned.agentIds[0] });
    expect(task.agentId).to.equal(spawned.agentIds[0]);
    process.kill(spawned.pids[0], 'SIGKILL');
    const done = await op.request('task.wait', { taskId: task.taskId, timeoutMs: 20_000 });
    expect(done.state).to.equal('COMPLETED');
    expect(done.attempts.map((a: any) => [a.agentId, a.outcome])).to.deep.equal([
      [spawned.agentIds[0], 'disconnected'],
      [spawned.agentIds[1], 'completed'],
    ]);
    await daemon.waitForLog((l) => l.msg === 'spawned worker exited unexpectedly');
    const requeues = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    expect(requeues).to.match(/coordd_task_requeues_total\{reason="disconnect"\} 1/);
    await daemon.waitForLog((l) => l.msg === 'replaced crashed worker');
    expect((await op.request('pool.status', {})).agents.total, 'supervisor replaced the crashed worker').to.equal(2);
  });

  it('retries a failing task, fails a non-retryable one at once, and reports errors from the worker', async () => {
    await op.request('pool.spawn', { count: 1 });
    const retry = await op.request('pool.assign', { type: 'echo', payload: { fail: true }, maxAttempts: 2 });
    const final = await op.request('pool.assign', { type: 'echo', payload: { fail: true, retryable: false }, maxAttempts: 5 });
    const [a, b] = await Promise.all([retry, final].map((t) => op.request('task.wait', { taskId: t.taskId, timeoutMs: 10_000 })));
    expect(a.state).to.equal('FAILED');
    expect(a.attempts.map((x: any) => x.outcome)).to.deep.equal(['failed', 'failed']);
    expect(b.state).to.equal('FAILED');
    expect(b.attempts).to.have.length(1);
    expect(b.error.code).to.be.a('number');
  });

  it('cancels a running task on the worker and sends task.updated to a subscribed submitter', async () => {
    await op.request('pool.spawn', { count: 1 });
    const t = await op.request('pool.assign', { type: 'echo', payload: { sleepMs: 10_000 }, subscribe: true });
    const cancel = await op.request('task.cancel', { taskId: t.taskId });
    expect(cancel).to.deep.equal({ taskId: t.taskId, state: 'IN_PROGRESS', cancelRequested: true });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done.state).to.equal('CANCELLED');
    const notes: any[] = [];
    while (op.buffered > 0) notes.push(await op.next());
    expect(notes.filter((n) => n.method === 'task.updated').map((n) => n.params.state)).to.include('CANCELLED');
    const again = await op.call('task.cancel', { taskId: t.taskId });
    expect(again.error).to.deep.include({ code: -32025 });
  });

  it('refuses an unknown template and reports a worker that cannot start, with its stderr', async () => {
    const unknown = await op.call('pool.spawn', { count: 1, template: 'nope' });
    expect(unknown.error.code).to.equal(-32027);
    const broken = await op.call('pool.spawn', { count: 1, template: 'broken' });
    expect(broken.error.code).to.equal(-32028);
    expect(broken.error.data.stderrTail).to.contain('missing model');
    expect(broken.error.data.exitCode).to.equal(3);
    expect((await op.call('pool.spawn', { count: 0 })).error.code).to.equal(-32602);
  });

  it('despawns by count (drain, then stop) and shuts the pool down', async () => {
    await op.request('pool.spawn', { count: 2 });
    const despawned = await op.request('pool.despawn', { count: 1 });
    expect(despawned.stopped).to.have.length(1);
    expect((await op.request('pool.status', {})).agents.total).to.equal(1);
    const notOurs = await op.request('pool.despawn', { agentIds: ['someone-else'] });
    expect(notOurs).to.deep.equal({ stopped: [], notSpawned: ['someone-else'] });
    const shut = await op.request('pool.shutdown', { drainTimeoutMs: 1000 });
    expect(shut).to.deep.include({ drained: true, requeued: 0, stoppedWorkers: 1 });
    const refused = await op.call('pool.assign', { type: 'echo' });
    expect(refused.error.code).to.equal(-32002);
  });
});
