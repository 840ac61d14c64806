import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { TestClient } from '../support/ws-client.js';

/** A raw socket speaking the agent side of the protocol, frame by frame. */
async function agent(daemon: InProcessDaemon, params: object, token?: string): Promise<{ c: TestClient; reg: any }> {
  const c = daemon.connect(token);
  const reg = await c.request('agent.register', { capabilities: ['echo'], capacity: 1, ...params });
  return { c, reg };
}

describe('agent protocol (raw agent connection, in-process daemon on a virtual clock)', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;
  let op: TestClient;

  before(async () => {
    daemon = await startInProcess({ COORDD_AGENT_HEARTBEAT_INTERVAL: '0.5', COORDD_RETRY_BASE_DELAY: '0.02', COORDD_RETRY_MAX_DELAY: '0.05' });
    op = daemon.connect();
  });
  after(async () => {
    await op.close();
    await daemon.stop();
  });

  it('refuses heartbeat and progress before registration with NOT_REGISTERED', async () => {
    const c = daemon.connect();
    expect((await c.call('agent.heartbeat', {})).error).to.deep.include({ code: -32020 });
    expect((await c.call('task.progress', { taskId: 't', epoch: 1 })).error.code).to.equal(-32020);
    expect((await c.call('agent.register', { capabilities: [], capacity: 0 })).error.data.paths).to.deep.equal(['capacity']);
    await c.close();
  });

  it('registers with the configured heartbeat interval; one agent per connection', async () => {
    const { c, reg } = await agent(daemon, { agentId: 'reg-1', name: 'first' });
    expect(reg).to.deep.include({ agentId: 'reg-1', heartbeatIntervalMs: 500 });
    expect(reg.contextWindowId).to.be.a('string').and.not.empty;
    expect(reg.leaseTtlMs).to.be.a('number');
    expect((await c.call('agent.register', { agentId: 'reg-2', capabilities: [], capacity: 1 })).error.code).to.equal(-32022);
    expect(await c.request('agent.heartbeat', { state: 'ANALYZING', health: { memoryMb: 12, cpuPercent: 3, contextSwitches: 9 } })).to.deep.equal({
      agentId: 'reg-1',
      state: 'ANALYZING',
    });
    await c.close();
  });

  it('refuses a context window held by a live agent; a new connection with the same id takes over (old closed with 4001)', async () => {
    const first = await agent(daemon, { agentId: 'iso-1', contextWindowId: 'ctx-shared' });
    const other = daemon.connect();
    const refused = await other.call('agent.register', { agentId: 'iso-2', capabilities: [], capacity: 1, contextWindowId: 'ctx-shared' });
    expect(refused.error).to.deep.include({ code: -32021 });
    expect(refused.error.data).to.deep.include({ contextWindowId: 'ctx-shared', heldBy: 'iso-1' });
    const takeover = await other.request('agent.register', { agentId: 'iso-1', capabilities: [], capacity: 1, contextWindowId: 'ctx-shared' });
    expect(takeover.agentId).to.equal('iso-1');
    expect((await first.c.closed).code).to.equal(4001);
    const report = await op.request('pool.isolationReport', {});
    expect(report.ok).to.equal(true);
    expect(report.agents.filter((a: any) => a.agentId === 'iso-1')).to.have.length(1);
    await other.close();
  });

  it('sends task.run as a request; the response completes the task; errors with retryable:false fail it', async () => {
    const { c } = await agent(daemon, { agentId: 'run-1', capabilities: ['run'] });
    const t = await op.request('pool.assign', { type: 'greet', payload: { name: 'x' }, requiredCapabilities: ['run'], traceId: 'trace-run-1' });
    const run = await c.nextOf('task.run');
    expect(run.params).to.deep.include({ taskId: t.taskId, type: 'greet', attempt: 1, epoch: 1, traceId: 'trace-run-1' });
    expect(run.params.payload).to.deep.equal({ name: 'x' });
    expect(run.params.deadline).to.be.a('number');
    expect(await c.request('agent.heartbeat', {})).to.deep.include({ state: 'EXECUTING' });
    expect(await c.request('task.progress', { taskId: t.taskId, epoch: 1, progress: 0.5, message: 'half' })).to.deep.equal({ accepted: true });
    expect(await c.request('task.progress', { taskId: t.taskId, epoch: 7, progress: 0.9 })).to.deep.equal({ accepted: false });
    expect((await op.request('task.get', { taskId: t.taskId })).progress).to.equal(0.5);
    c.send({ jsonrpc: '2.0', id: run.id, result: { hello: 'x' } });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: 'run-1' });
    expect(done.result).to.deep.equal({ hello: 'x' });

    const f = await op.request('pool.assign', { type: 'greet', requiredCapabilities: ['run'], maxAttempts: 5 });
    const run2 = await c.nextOf('task.run');
    c.send({ jsonrpc: '2.0', id: run2.id, error: { code: -32000, message: 'bad input', data: { retryable: false } } });
    const failed = await op.request('task.wait', { taskId: f.taskId, timeoutMs: 5000 });
    expect(failed.state).to.equal('FAILED');
    expect(failed.error).to.deep.equal({ code: -32000, message: 'bad input', data: { retryable: false } });
    await c.close();
  });

  it('times an attempt out: task.cancel to the agent, a retry with a new epoch, the late answer ignored and counted', async () => {
    const { c } = await agent(daemon, { agentId: 'slow-1', capabilities: ['slow'] });
    const t = await op.request('pool.assign', { type: 'slow', requiredCapabilities: ['slow'], timeoutMs: 200, maxAttempts: 2 });
    const first = await c.nextOf('task.run');
    await daemon.advance(300); // past the 200 ms timeout and the retry backoff, short of the second timeout
    const cancel = await c.nextOf('task.cancel');
    expect(cancel.params).to.deep.equal({ taskId: t.taskId, epoch: 1 });
    expect(cancel).not.to.have.property('id');
    const second = await c.nextOf('task.run');
    expect(second.params).to.deep.include({ taskId: t.taskId, attempt: 2, epoch: 2 });
    c.send({ jsonrpc: '2.0', id: first.id, result: 'late' });
    c.send({ jsonrpc: '2.0', id: second.id, result: 'fresh' });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED', result: 'fresh', epoch: 2 });
    expect(done.attempts.map((a: any) => a.outcome)).to.deep.equal(['timeout', 'completed']);
    const metrics = await daemon.metrics();
    expect(metrics).to.match(/coordd_stale_epoch_reports_total\{kind="progress"\} [1-9]/);
    await c.close();
  });

  it('requeues at once when an agent disconnects mid-task, and the task runs on the next agent', async () => {
    const a = await agent(daemon, { agentId: 'gone-1', capabilities: ['hand-off'] });
    const t = await op.request('pool.assign', { type: 'x', requiredCapabilities: ['hand-off'] });
    await a.c.nextOf('task.run');
    await a.c.close();
    await daemon.waitForLog((l) => l.msg === 'task requeued' && l.taskId === t.taskId);
    expect((await op.request('task.get', { taskId: t.taskId })).state).to.equal('PENDING');
    const b = await agent(daemon, { agentId: 'gone-2', capabilities: ['hand-off'] });
    const run = await b.c.nextOf('task.run');
    expect(run.params).to.deep.include({ taskId: t.taskId, attempt: 2 });
    b.c.send({ jsonrpc: '2.0', id: run.id, result: null });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done.attempts.map((x: any) => [x.agentId, x.outcome])).to.deep.equal([
      ['gone-1', 'disconnected'],
      ['gone-2', 'completed'],
    ]);
    await b.c.close();
  });

  it('task API errors: unknown task, invalid params, wait timeout', async () => {
    expect((await op.call('task.get', { taskId: 'nope' })).error).to.deep.include({ code: -32024 });
    expect((await op.call('task.cancel', { taskId: 'nope' })).error.code).to.equal(-32024);
    expect((await op.call('task.wait', { taskId: 'nope' })).error.code).to.equal(-32024);
    expect((await op.call('pool.assign', { type: '' })).error.data.paths).to.deep.equal(['type']);
    expect((await op.call('pool.assign', { type: 'x', priority: 1.5, maxAttempts: 0 })).error.data.paths).to.have.members(['priority', 'maxAttempts']);
    expect((await op.call('task.list', { state: 'DONE' })).error.code).to.equal(-32602);
    const t = await op.request('pool.assign', { type: 'nobody-can', requiredCapabilities: ['unobtainium'] });
    const waiting = op.call('task.wait', { taskId: t.taskId, timeoutMs: 50 });
    await daemon.advance(50);
    const waited = await waiting;
    expect(waited.error).to.deep.include({ code: -32026 });
    expect(waited.error.data.state).to.equal('PENDING');
    expect((await op.request('task.cancel', { taskId: t.taskId })).state).to.equal('CANCELLED');
  });

  it('lists tasks newest first with filters and paging, and dedupes idempotency keys', async () => {
    const a = await op.request('pool.assign', { type: 'idem', requiredCapabilities: ['none-here'], idempotencyKey: 'order-42' });
    const b = await op.request('pool.assign', { type: 'idem', requiredCapabilities: ['none-here'], idempotencyKey: 'order-42' });
    expect(b).to.deep.include({ taskId: a.taskId, deduplicated: true });
    const pending = await op.request('task.list', { state: 'PENDING' });
    expect(pending.tasks.map((t: any) => t.taskId)).to.include(a.taskId);
    await op.request('task.cancel', { taskId: a.taskId });
    const page1 = await op.request('task.list', { state: 'CANCELLED', limit: 1 });
    expect(
      page1.tasks.map((t: any) => t.taskId),
      'newest first',
    ).to.deep.equal([a.taskId]);
    expect(page1.nextCursor).to.be.a('string');
    const page2 = await op.request('task.list', { state: 'CANCELLED', limit: 1, cursor: page1.nextCursor });
    expect(page2.tasks).to.have.length(1);
    expect(page2.tasks[0].taskId).to.not.equal(a.taskId);
    const byAgent = await op.request('task.list', { agentId: 'run-1' });
    expect(byAgent.tasks.length).to.be.at.least(2);
    expect(byAgent.tasks.every((t: any) => t.agentId === 'run-1')).to.equal(true);
  });
});

describe('agent liveness and roles (in-process daemon on a virtual clock)', function () {
  this.timeout(20_000);

  it('marks a silent agent DEGRADED, then removes it (closed with 4002) and requeues its task', async () => {
    const daemon = await startInProcess({
      COORDD_AGENT_HEARTBEAT_INTERVAL: '0.1',
      COORDD_AGENT_LEASE_TTL: '0.3',
      COORDD_AGENT_REMOVAL_GRACE: '0.4',
      COORDD_LOG_LEVEL: 'info',
    });
    const op = daemon.connect();
    const { c } = await agent(daemon, { agentId: 'quiet', capabilities: ['q'] });
    const t = await op.request('pool.assign', { type: 'q', requiredCapabilities: ['q'] });
    await c.nextOf('task.run');
    await daemon.advance(1000); // no heartbeat for 1 s: past the lease TTL and the removal grace
    await daemon.waitForLog((l) => l.msg === 'agent state' && l.agentId === 'quiet' && l.state === 'DEGRADED');
    expect((await c.closed).code).to.equal(4002);
    expect((await op.request('task.get', { taskId: t.taskId })).state).to.equal('PENDING');
    const status = await op.request('pool.status', {});
    expect(status.agents.total).to.equal(0);
    expect(status.queue.depth).to.equal(1);
    await op.close();
    await daemon.stop();
  });

  it('enforces roles: agents cannot submit tasks, operators cannot register as agents, agents signal only about themselves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-roles-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, 'agent-token-0123456789abcdef agent\noperator-token-0123456789ab operator\n');
    const daemon = await startInProcess({ COORDD_TOKENS_FILE: file });
    const { c } = await agent(daemon, { agentId: 'self' }, 'agent-token-0123456789abcdef');
    const op = daemon.connect('operator-token-0123456789ab');
    expect((await c.call('pool.assign', { type: 'x' })).error.code).to.equal(-32001);
    expect((await op.call('agent.register', { capabilities: [], capacity: 1 })).error.code).to.equal(-32001);
    expect((await c.request('coordination.signal', { agentId: 'self', signalType: 'load', value: 0.2 })).agentId).to.equal('self');
    expect((await c.call('coordination.signal', { agentId: 'someone-else', signalType: 'load', value: 0.2 })).error.code).to.equal(-32001);
    await c.close();
    await op.close();
    await daemon.stop();
  });
});
