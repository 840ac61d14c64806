import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../support/daemon-process.js';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { TestClient } from '../support/ws-client.js';

const OPERATOR = 'operator-token-000001';
const AGENT = 'agent-token-00000001';

/** The next events.event notification. */
const nextEvent = async (c: TestClient): Promise<any> => (await c.nextOf('events.event')).params;

/** Events until one matches `done` (inclusive). */
async function eventsUntil(c: TestClient, done: (e: any) => boolean): Promise<any[]> {
  const out: any[] = [];
  for (;;) {
    const e = await nextEvent(c);
    out.push(e);
    if (done(e)) return out;
  }
}

async function agent(daemon: InProcessDaemon, params: object): Promise<TestClient> {
  const c = daemon.connect(AGENT);
  await c.request('agent.register', { capabilities: ['echo'], capacity: 1, ...params });
  return c;
}

describe('operator API (agent.*, task.retry, task.list filters, events.*) against the in-process daemon', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;
  let op: TestClient;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-ops-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, `${OPERATOR} operator\n${AGENT} agent\n`);
    daemon = await startInProcess({ COORDD_TOKENS_FILE: file, COORDD_RETRY_BASE_DELAY: '0.02', COORDD_RETRY_MAX_DELAY: '0.05' });
    op = daemon.connect(OPERATOR);
  });

  after(async () => {
    await op.close();
    await daemon.stop();
  });

  it('refuses every operator method to the agent role (FORBIDDEN)', async () => {
    const c = daemon.connect(AGENT);
    const calls: [string, object][] = [
      ['agent.list', {}],
      ['agent.get', { agentId: 'x' }],
      ['agent.update', { agentId: 'x', capacity: 1 }],
      ['agent.drain', { agentId: 'x' }],
      ['agent.remove', { agentId: 'x' }],
      ['task.retry', { taskId: 'x' }],
      ['events.subscribe', {}],
      ['events.unsubscribe', { subscriptionId: 'x' }],
      ['pool.templates', {}],
    ];
    for (const [method, params] of calls) {
      const reply = await c.call(method, params);
      expect(reply.error?.code, method).to.equal(-32001);
    }
    await c.close();
  });

  it('answers bad params with INVALID_PARAMS naming the field', async () => {
    const cases: [string, object, string][] = [
      ['agent.list', { limit: 0 }, 'limit'],
      ['agent.list', { spawned: 'yes' }, 'spawned'],
      ['agent.get', {}, 'agentId'],
      ['agent.update', { agentId: 'x', capacity: -1 }, 'capacity'],
      ['agent.update', { agentId: 'x', tags: [''] }, 'tags.0'],
      ['agent.remove', { agentId: 'x', force: 1 }, 'force'],
      ['task.retry', {}, 'taskId'],
      ['task.list', { createdAfter: 'yesterday' }, 'createdAfter'],
      ['events.subscribe', { types: ['agent.exploded'] }, 'types.0'],
      ['events.unsubscribe', {}, 'subscriptionId'],
    ];
    for (const [method, params, path] of cases) {
      const reply = await op.call(method, params);
      expect(reply.error?.code, method).to.equal(-32602);
      expect(reply.error.data.paths, method).to.include(path);
    }
  });

  it('answers unknown ids with their error codes', async () => {
    for (const method of ['agent.get', 'agent.update', 'agent.drain', 'agent.remove']) {
      expect((await op.call(method, { agentId: 'ghost' })).error?.code, method).to.equal(-32010);
    }
    expect((await op.call('task.retry', { taskId: 'ghost' })).error?.code).to.equal(-32024);
    expect((await op.call('events.unsubscribe', { subscriptionId: 'sub-999' })).error?.code).to.equal(-32036);
  });

  it('lists, shows, updates, drains and force-removes agents; coordination.state knows a registered agent with no signals', async () => {
    const a = await agent(daemon, { agentId: 'ops-a', capabilities: ['echo', 'gpu'], capacity: 2 });
    const b = await agent(daemon, { agentId: 'ops-b' });
    const list = await op.request('agent.list', { q: 'ops-' });
    expect(list.agents.map((x: any) => x.agentId)).to.deep.equal(['ops-a', 'ops-b']);
    expect(list.agents[0]).to.deep.include({
      state: 'IDLE',
      capabilities: ['echo', 'gpu'],
      capacity: 2,
      inFlight: 0,
      routingScore: 0.5,
      spawned: false,
      tags: [],
    });
    expect(list.agents[0].heartbeatAgeMs).to.be.a('number');
    expect(list.agents[0].contextWindowId).to.be.a('string');
    expect((await op.request('agent.list', { capability: 'gpu' })).agents.map((x: any) => x.agentId)).to.deep.equal(['ops-a']);
    const page = await op.request('agent.list', { q: 'ops-', limit: 1 });
    expect(page.nextCursor).to.be.a('string');
    expect((await op.request('agent.list', { q: 'ops-', limit: 1, cursor: page.nextCursor })).agents.map((x: any) => x.agentId)).to.deep.equal(['ops-b']);

    const state = await op.request('coordination.state', { agentId: 'ops-a' });
    expect(state).to.deep.include({ agentId: 'ops-a', signals: [], routingScore: 0.5, lastUpdated: 0 });
    expect(Object.values(state.scores)).to.deep.equal([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const states = await op.request('coordination.state', { limit: 1000 });
    expect(states.agents.map((x: any) => x.agentId)).to.include.members(['ops-a', 'ops-b']);

    const t = await op.request('pool.assign', { type: 'job', requiredCapabilities: ['gpu'] });
    const run = await a.nextOf('task.run');
    const detail = await op.request('agent.get', { agentId: 'ops-a' });
    expect(detail.runningTasks).to.deep.equal([{ taskId: t.taskId, type: 'job', epoch: 1, startedAt: detail.runningTasks[0].startedAt }]);
    expect(detail).to.deep.include({ state: 'EXECUTING', inFlight: 1, completed: 0, failed: 0, signals: [] });
    expect(detail.breaker).to.deep.equal({ state: 'closed', consecutiveFailures: 0 });
    expect(detail.overload).to.have.keys('willOverload', 'predictedLoad', 'confidence');
    a.send({ jsonrpc: '2.0', id: run.id, result: 'done' });
    await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    const after = await op.request('agent.get', { agentId: 'ops-a' });
    expect(after).to.deep.include({ completed: 1, failed: 0, runningTasks: [] });
    expect(after.latencyMs.mean).to.be.a('number');

    const updated = await op.request('agent.update', { agentId: 'ops-b', capacity: 3, capabilities: ['echo', 'text'], tags: ['eu', 'blue'] });
    expect(updated).to.deep.include({ agentId: 'ops-b', capacity: 3, capabilities: ['echo', 'text'], tags: ['eu', 'blue'] });
    expect((await op.request('agent.drain', { agentId: 'ops-b' })).state).to.equal('DRAINING');
    expect((await op.request('agent.list', { state: 'DRAINING' })).agents.map((x: any) => x.agentId)).to.deep.equal(['ops-b']);
    const queued = await op.request('pool.assign', { type: 'job', requiredCapabilities: ['text'] });
    expect(queued.state, 'a draining agent takes no new work').to.equal('PENDING');
    await op.request('task.cancel', { taskId: queued.taskId });

    const removed = await op.request('agent.remove', { agentId: 'ops-b', force: true });
    expect(removed).to.deep.equal({ agentId: 'ops-b', removed: true, requeued: 0 });
    expect((await b.closed).code).to.equal(4002);
    expect((await op.call('agent.get', { agentId: 'ops-b' })).error.code).to.equal(-32010);
    expect(await op.request('agent.remove', { agentId: 'ops-a' })).to.deep.equal({ agentId: 'ops-a', removed: true, requeued: 0 });
    expect((await a.closed).code).to.equal(4002);

    const metrics = await daemon.metrics();
    expect(metrics).to.match(/coordd_agent_admin_actions_total\{action="update"\} 1/);
    expect(metrics).to.match(/coordd_agent_admin_actions_total\{action="drain"\} 1/);
    expect(metrics).to.match(/coordd_agent_admin_actions_total\{action="force_remove"\} 1/);
    expect(metrics).to.match(/coordd_agent_admin_actions_total\{action="remove"\} 1/);
    expect(daemon.logs.some((l) => l.msg === 'agent updated by operator' && l.agentId === 'ops-b' && l.capacity === 3)).to.equal(true);
  });

  it('retries a FAILED task (same id, attempts kept) and refuses a COMPLETED one; task.list filters find it', async () => {
    const a = await agent(daemon, { agentId: 'retry-a', capabilities: ['retry'] });
    const t = await op.request('pool.assign', {
      type: 'flaky',
      requiredCapabilities: ['retry'],
      maxAttempts: 1,
      idempotencyKey: 'retry-key',
      traceId: 'retrytrace',
    });
    const run1 = await a.nextOf('task.run');
    a.send({ jsonrpc: '2.0', id: run1.id, error: { code: -32000, message: 'nope' } });
    expect((await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 })).state).to.equal('FAILED');
    const again = await op.request('task.retry', { taskId: t.taskId });
    expect(again.taskId).to.equal(t.taskId);
    expect(again.retry).to.deep.include({ count: 1, afterAttempt: 1 });
    const run2 = await a.nextOf('task.run');
    expect(run2.params).to.deep.include({ taskId: t.taskId, attempt: 2, epoch: 2 });
    a.send({ jsonrpc: '2.0', id: run2.id, result: 'second time' });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED', result: 'second time' });
    expect(done.attempts.map((x: any) => x.outcome)).to.deep.equal(['failed', 'completed']);
    const refused = await op.call('task.retry', { taskId: t.taskId });
    expect(refused.error).to.deep.include({ code: -32035 });
    expect(refused.error.data.state).to.equal('COMPLETED');

    const ids = async (filter: object) => (await op.request('task.list', filter)).tasks.map((x: any) => x.taskId);
    expect(await ids({ idempotencyKey: 'retry-key' })).to.deep.equal([t.taskId]);
    expect(await ids({ traceId: 'retrytrace' })).to.deep.equal([t.taskId]);
    expect(await ids({ type: 'flaky', agentId: 'retry-a', state: 'COMPLETED' })).to.deep.equal([t.taskId]);
    expect(await ids({ type: 'flaky', createdAfter: done.createdAt + 1 })).to.deep.equal([]);
    expect(await ids({ type: 'flaky', createdBefore: done.createdAt + 1 })).to.deep.equal([t.taskId]);
    const metrics = await daemon.metrics();
    expect(metrics).to.match(/coordd_task_retries_total 1/);
    await a.close();
  });

  it('events.subscribe: the reply (snapshot, seq) comes before event seq+1; events are contiguous, filtered, and stop on unsubscribe', async () => {
    const watcher = daemon.connect(OPERATOR);
    const filtered = daemon.connect(OPERATOR);
    const a = await agent(daemon, { agentId: 'ev-a', capabilities: ['ev'] });
    // Raw frames, to see the order the reply and the first event arrive in.
    watcher.send({ jsonrpc: '2.0', id: 'sub', method: 'events.subscribe', params: {} });
    const reply = await watcher.next();
    expect(reply.id).to.equal('sub');
    const { subscriptionId, seq, snapshot } = reply.result;
    expect(snapshot.agents.map((x: any) => x.agentId)).to.include('ev-a');
    expect(snapshot.pool).to.have.keys('agents', 'capacity', 'utilization', 'queue', 'tasks', 'isolation', 'accepting', 'latency', 'store');
    expect(snapshot.alerts).to.be.an('array');
    const sub2 = await filtered.request('events.subscribe', { types: ['task.created', 'task.state'], taskType: 'ev-kind' });
    expect(sub2.seq).to.equal(0);

    const t = await op.request('pool.assign', { type: 'ev-kind', requiredCapabilities: ['ev'] });
    const run = await a.nextOf('task.run');
    a.send({ jsonrpc: '2.0', id: run.id, result: 1 });
    await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    const b = await agent(daemon, { agentId: 'ev-b' });
    await b.close();
    const events = await eventsUntil(watcher, (e) => e.type === 'agent.left' && e.data.agentId === 'ev-b');
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => seq + 1 + i));
    expect(events.every((e) => e.subscriptionId === subscriptionId && typeof e.at === 'number')).to.equal(true);
    const mine = events.filter((e) => e.data.taskId === t.taskId || e.data.agentId === 'ev-b');
    expect(mine.map((e) => `${e.type}:${e.data.state ?? ''}`)).to.deep.equal([
      'task.created:PENDING',
      'task.state:IN_PROGRESS',
      'task.state:COMPLETED',
      'agent.joined:IDLE',
      'agent.left:',
    ]);
    const onlyTasks = await eventsUntil(filtered, (e) => e.data.state === 'COMPLETED');
    expect(onlyTasks.map((e) => [e.seq, e.type, e.data.state])).to.deep.equal([
      [1, 'task.created', 'PENDING'],
      [2, 'task.state', 'IN_PROGRESS'],
      [3, 'task.state', 'COMPLETED'],
    ]);

    expect(await watcher.request('events.unsubscribe', { subscriptionId })).to.deep.equal({ ok: true });
    expect((await filtered.call('events.unsubscribe', { subscriptionId })).error.code, "another connection's subscription").to.equal(-32036);
    await op
      .request('pool.assign', { type: 'ev-kind', requiredCapabilities: ['ev'] })
      .then((x) => a.nextOf('task.run').then((r) => (a.send({ jsonrpc: '2.0', id: r.id, result: 2 }), x)));
    expect((await nextEvent(filtered)).seq).to.equal(4);
    expect(await watcher.request('rpc.discover').then(() => watcher.buffered), 'no events after unsubscribe').to.equal(0);
    await watcher.close();
    await filtered.close();
    await a.close();
  });

  it('limits subscriptions per connection (TOO_MANY_SUBSCRIPTIONS) and ends them when the connection closes', async () => {
    const c = daemon.connect(OPERATOR);
    for (let i = 0; i < 16; i++) await c.request('events.subscribe', { types: ['alert.raised'] });
    const refused = await c.call('events.subscribe', {});
    expect(refused.error).to.deep.include({ code: -32037 });
    expect(refused.error.data.max).to.equal(16);
    const gauge = async () => Number(/^coordd_event_subscriptions (\d+)/m.exec(await daemon.metrics())![1]);
    expect(await gauge()).to.be.at.least(16);
    await c.close();
    // The close is handled before a later connection's request is.
    const probe = daemon.connect(OPERATOR);
    await probe.request('rpc.discover');
    expect(await gauge()).to.equal(0);
    await probe.close();
  });

  it('serves /livez, keeps /healthz, and exports coordd_build_info and both utilization names', async () => {
    const live = await fetch(`${daemon.httpUrl}/livez`);
    expect(live.status).to.equal(200);
    expect(await live.json()).to.deep.equal({ status: 'ok' });
    expect((await fetch(`${daemon.httpUrl}/healthz`)).status).to.equal(200);
    const metrics = await daemon.metrics();
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    expect(metrics).to.include(`coordd_build_info{version="${version}"} 1`);
    expect(metrics).to.match(/^coordd_pool_utilization_ratio \d/m);
    expect(metrics).to.match(/^coordd_pool_utilization \d/m);
    expect(metrics).to.include('# HELP coordd_pool_utilization DEPRECATED');
  });
});

describe('events.subscribe and slow consumers (real daemon)', function () {
  this.timeout(30_000);

  it('cuts off a subscriber that does not read (send high-water mark); the daemon and other subscribers carry on', async () => {
    // Replies and events sent in one tick are corked together: the mark must hold one batch of them.
    const daemon = await startDaemon({ COORDD_SEND_HIGH_WATER_MARK: '1048576', COORDD_LOG_LEVEL: 'warn' });
    const op = await TestClient.connect(daemon.url);
    const reader = await TestClient.connect(daemon.url);
    const slow = await TestClient.connect(daemon.url);
    // Every agent.state event carries the agent's summary: 256 capabilities of 128 characters (~33 KB).
    const capabilities = Array.from({ length: 256 }, (_, i) => `${i}`.padStart(128, 'c'));
    const big = await TestClient.connect(daemon.url);
    await big.request('agent.register', { agentId: 'big', capabilities, capacity: 1 });
    await reader.request('events.subscribe', { types: ['agent.state'] });
    await slow.request('events.subscribe', {});
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const cutOff = daemon.waitForLog((l) => l.msg === 'client is not reading; disconnecting');
    let stop = false;
    void cutOff.then(() => (stop = true));
    let updates = 0;
    while (!stop && updates < 5000) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => op.request('agent.update', { agentId: 'big', tags: [`t${updates + i}`] })));
      updates += 10;
    }
    const line = await cutOff;
    expect(line.bufferedBytes).to.be.above(1048576);
    expect(
      daemon.logs.filter((l) => l.msg === 'client is not reading; disconnecting'),
      'only the slow one',
    ).to.have.length(1);
    // The reader got every agent.state, in order, without gaps.
    const seqs: number[] = [];
    while (seqs.length < updates) seqs.push((await nextEvent(reader)).seq);
    expect(seqs).to.deep.equal(seqs.map((_, i) => i + 1));
    await big.close();
    expect(await op.request('pool.status')).to.have.property('accepting', true);
    slow.ws.terminate();
    await op.close();
    await reader.close();
    await daemon.stop();
  });
});

describe('agent.list and agent.remove with a spawned worker (real child process)', function () {
  this.timeout(60_000);

  it('shows spawned agents with their template, and agent.remove stops the worker process', async () => {
    const daemon = await startDaemon();
    const op = await TestClient.connect(daemon.url);
    const { agentIds, pids } = await op.request('pool.spawn', { count: 1 });
    const listed = await op.request('agent.list', { spawned: true });
    expect(listed.agents.map((a: any) => [a.agentId, a.spawned, a.template])).to.deep.equal([[agentIds[0], true, 'echo']]);
    expect((await op.request('agent.list', { template: 'other' })).agents).to.deep.equal([]);
    const removed = await op.request('agent.remove', { agentId: agentIds[0] });
    expect(removed).to.deep.equal({ agentId: agentIds[0], removed: true, requeued: 0 });
    const stopped = await daemon.waitForLog((l) => l.msg === 'spawned worker stopped' || l.msg === 'spawned worker exited unexpectedly');
    expect(stopped).to.include({ msg: 'spawned worker stopped', pid: pids[0] });
    expect(
      daemon.logs.some((l) => l.msg === 'replaced crashed worker'),
      'not restarted',
    ).to.equal(false);
    expect((await op.request('agent.list', {})).agents).to.deep.equal([]);
    await op.close();
    expect(await daemon.stop()).to.equal(0);
  });
});

describe('events.subscribe carries alerts (in-process daemon on a virtual clock, config file)', function () {
  this.timeout(20_000);

  it('sends alert.raised and alert.cleared as events, and lists active alerts in the snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-ev-alerts-'));
    writeFileSync(join(dir, 'coordd.yml'), 'alerts:\n  evaluationIntervalSeconds: 0.05\n  windowSeconds: 0.5\n  minSamples: 3\n  utilizationMin: 0.6\n');
    const daemon = await startInProcess({ COORDD_CONFIG: join(dir, 'coordd.yml') });
    const op = daemon.connect();
    const { seq } = await op.request('events.subscribe', { types: ['alert.raised', 'alert.cleared'] });
    const a = daemon.connect();
    await a.request('agent.register', { agentId: 'alert-ev', capabilities: [], capacity: 4 });
    await op.request('pool.assign', { type: 'echo' });
    await a.nextOf('task.run');
    const raised = await daemon.advanceUntil(nextEvent(op), 'the alert.raised event');
    expect(raised).to.deep.include({ seq: seq + 1, type: 'alert.raised' });
    expect(raised.data).to.deep.include({ alert: 'utilization_low', value: 0.25 });
    const late = daemon.connect();
    const snap = await late.request('events.subscribe', {});
    expect(snap.snapshot.alerts.map((x: any) => x.alert)).to.deep.equal(['utilization_low']);
    for (let n = 0; n < 3; n++) await op.request('pool.assign', { type: 'echo' });
    const cleared = await daemon.advanceUntil(nextEvent(op), 'the alert.cleared event');
    expect(cleared).to.deep.include({ seq: seq + 2, type: 'alert.cleared' });
    expect(cleared.data).to.deep.include({ alert: 'utilization_low', reason: 'recovered' });
    await late.close();
    await a.close();
    await op.close();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
