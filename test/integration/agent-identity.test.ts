import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDaemon, startDaemon } from '../support/daemon-process.js';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { TestClient } from '../support/ws-client.js';

const FLEET_A = 'fleet-a-token-0123456789abcdef';
const FLEET_B = 'fleet-b-token-0123456789abcdef';
const LISTED = 'listed-token-0123456789abcdef';
const PREFIXED = 'prefixed-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';

function tokensFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'coordd-identity-')), 'tokens');
  writeFileSync(file, content);
  return file;
}

const TOKENS = JSON.stringify([
  { token: FLEET_A, role: 'agent' },
  { token: FLEET_B, role: 'agent', name: 'fleet-b' },
  { token: LISTED, role: 'agent', name: 'listed', agentIds: ['listed-1', 'listed-2'] },
  { token: PREFIXED, role: 'agent', name: 'team-a', agentIdPrefix: 'team-a-' },
  { token: OPERATOR, role: 'operator' },
  { token: ADMIN, role: 'admin', name: 'root' },
]);

/** Register over a WebSocket to `daemon` (a URL) or over a linked pair to an in-process daemon. */
async function register(daemon: string | InProcessDaemon, token: string, params: object): Promise<{ c: TestClient; reply: any }> {
  const c = typeof daemon === 'string' ? await TestClient.connect(daemon, token) : daemon.connect(token || undefined);
  const reply = await c.call('agent.register', { capabilities: ['work'], capacity: 1, ...params });
  return { c, reply };
}

describe('agent identity is bound to the credential (in-process daemon)', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;
  let op: TestClient;

  before(async () => {
    daemon = await startInProcess({ COORDD_TOKENS_FILE: tokensFile(TOKENS) });
    op = daemon.connect(OPERATOR);
  });
  after(async () => {
    await op.close();
    await daemon.stop();
  });

  it('refuses an impostor with another token: the real agent keeps its connection and its task, and completes it', async () => {
    const real = await register(daemon, FLEET_A, { agentId: 'victim', capabilities: ['victim-work'] });
    expect(real.reply.result.agentId).to.equal('victim');
    const t = await op.request('pool.assign', { type: 'x', payload: { n: 1 }, requiredCapabilities: ['victim-work'] });
    const run = await real.c.nextOf('task.run');

    const impostor = await register(daemon, FLEET_B, { agentId: 'victim', capabilities: ['victim-work'] });
    expect(impostor.reply.error).to.deep.include({ code: -32001 });
    expect(impostor.reply.error.data).to.deep.include({ name: 'FORBIDDEN', agentId: 'victim' });
    expect(impostor.reply.error.data.detail).to.match(/held by another credential/);
    // The impostor's connection is not an agent: it may not heartbeat, signal or lease as one.
    expect((await impostor.c.call('agent.heartbeat', {})).error.code).to.equal(-32020);
    expect((await impostor.c.call('coordination.signal', { agentId: 'victim', signalType: 'load', value: 1 })).error.code).to.equal(-32001);

    expect((await op.request('task.get', { taskId: t.taskId })).state).to.equal('IN_PROGRESS');
    real.c.send({ jsonrpc: '2.0', id: run.id, result: { by: 'the real agent' } });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: 'victim' });
    expect(done.result).to.deep.equal({ by: 'the real agent' });
    expect(done.attempts.map((a: any) => a.outcome)).to.deep.equal(['completed']);
    expect(await real.c.request('agent.heartbeat', {})).to.deep.include({ agentId: 'victim' });
    const refusal = await daemon.waitForLog((l) => l.msg === 'agent.register refused: id held by another credential' && l.agentId === 'victim');
    expect(refusal).to.deep.include({ level: 'warn', heldBy: 'token#1', credential: 'fleet-b' });
    await Promise.all([real.c.close(), impostor.c.close()]);
  });

  it('lets the same credential take its agent over (a reconnect): the old connection is closed with 4001', async () => {
    const first = await register(daemon, FLEET_A, { agentId: 'rejoin' });
    const again = await register(daemon, FLEET_A, { agentId: 'rejoin' });
    expect(again.reply.result.agentId).to.equal('rejoin');
    expect((await first.c.closed).code).to.equal(4001);
    await again.c.close();
  });

  it('lets a connection register again as itself: nothing is closed, its running task stays and completes there', async () => {
    const agent = await register(daemon, FLEET_A, { agentId: 'repeats', capabilities: ['repeat-work'] });
    const t = await op.request('pool.assign', { type: 'x', requiredCapabilities: ['repeat-work'] });
    const run = await agent.c.nextOf('task.run');
    let closed = false;
    void agent.c.closed.then(() => (closed = true));
    const again = await agent.c.call('agent.register', { capabilities: ['repeat-work', 'more'], capacity: 2 });
    expect(again.result.agentId).to.equal('repeats');
    const same = await agent.c.call('agent.register', { agentId: 'repeats', capabilities: ['repeat-work', 'more'], capacity: 2 });
    expect(same.result.agentId).to.equal('repeats');
    expect((await op.request('task.get', { taskId: t.taskId })).state).to.equal('IN_PROGRESS');
    agent.c.send({ jsonrpc: '2.0', id: run.id, result: { done: true } });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: 'repeats' });
    expect(done.attempts.map((a: any) => a.outcome)).to.deep.equal(['completed']);
    const listed = await op.request('agent.get', { agentId: 'repeats' });
    expect(listed).to.deep.include({ capacity: 2 });
    expect(listed.capabilities).to.include('more');
    expect(closed).to.equal(false);
    await agent.c.close();
  });

  it('frees the id when the agent is gone: another credential may claim it then', async () => {
    const first = await register(daemon, FLEET_A, { agentId: 'passed-on' });
    await first.c.close();
    await daemon.waitForLog((l) => l.msg === 'agent removed' && l.agentId === 'passed-on');
    const next = await register(daemon, FLEET_B, { agentId: 'passed-on' });
    expect(next.reply.result.agentId).to.equal('passed-on');
    await next.c.close();
  });

  it('lets an admin token take over any agent, and logs it', async () => {
    const held = await register(daemon, FLEET_A, { agentId: 'seized' });
    const admin = await register(daemon, ADMIN, { agentId: 'seized' });
    expect(admin.reply.result.agentId).to.equal('seized');
    expect((await held.c.closed).code).to.equal(4001);
    const line = await daemon.waitForLog((l) => l.msg === 'admin took over an agent held by another credential');
    expect(line).to.deep.include({ level: 'warn', agentId: 'seized', heldBy: 'token#1', credential: 'root' });
    await admin.c.close();
  });

  it('scopes tokens to a list of ids or a prefix', async () => {
    const listed = await register(daemon, LISTED, { agentId: 'listed-2' });
    expect(listed.reply.result.agentId).to.equal('listed-2');
    const outside = await register(daemon, LISTED, { agentId: 'listed-3' });
    expect(outside.reply.error).to.deep.include({ code: -32001 });
    expect(outside.reply.error.data).to.deep.include({ agentId: 'listed-3', agentIds: ['listed-1', 'listed-2'] });
    expect(outside.reply.error.data.detail).to.match(/outside this token's scope/);
    const unnamed = await register(daemon, LISTED, {});
    expect(unnamed.reply.error.code).to.equal(-32001);
    expect(unnamed.reply.error.data.detail).to.match(/must name its agentId/);

    const team = await register(daemon, PREFIXED, { agentId: 'team-a-7' });
    expect(team.reply.result.agentId).to.equal('team-a-7');
    const otherTeam = await register(daemon, PREFIXED, { agentId: 'team-b-7' });
    expect(otherTeam.reply.error).to.deep.include({ code: -32001 });
    expect(otherTeam.reply.error.data).to.deep.include({ agentId: 'team-b-7', agentIdPrefix: 'team-a-' });
    // Without an id, a prefix-scoped token is given a fresh one inside its prefix.
    const fresh = await register(daemon, PREFIXED, {});
    expect(fresh.reply.result.agentId).to.match(/^team-a-[0-9a-f-]{36}$/);

    // An unscoped token may not claim an id a scoped token holds, and a scoped one cannot take over from another credential.
    expect((await register(daemon, FLEET_A, { agentId: 'team-a-7' })).reply.error.code).to.equal(-32001);
    const unscoped = await register(daemon, FLEET_A, { agentId: 'team-a-8' });
    expect((await register(daemon, PREFIXED, { agentId: 'team-a-8' })).reply.error.code).to.equal(-32001);
    expect((await team.c.request('agent.heartbeat', {})).agentId).to.equal('team-a-7');
    await Promise.all([listed, outside, unnamed, team, otherTeam, fresh, unscoped].map((r) => r.c.close()));
  });

  it('refuses signals from an agent connection that has not registered, and for other agents once it has', async () => {
    await op.request('coordination.signal', { agentId: 'target', signalType: 'load', value: 0.1 });
    const loadOf = async (agentId: string): Promise<number[]> =>
      (await op.request('coordination.state', { agentId })).signals.filter((s: any) => s.signalType === 'load').map((s: any) => s.value);
    const c = daemon.connect(FLEET_A);
    const refused = await c.call('coordination.signal', { agentId: 'target', signalType: 'load', value: 1 });
    expect(refused.error).to.deep.include({ code: -32001 });
    expect(refused.error.data.detail).to.match(/agent\.register first/);
    c.send({ jsonrpc: '2.0', method: 'coordination.signal', params: { agentId: 'target', signalType: 'load', value: 1 } });
    const unregisteredBatch = await c.request('coordination.signal', { signals: [{ agentId: 'target', signalType: 'load', value: 1 }] });
    expect(unregisteredBatch).to.deep.include({ accepted: 0, signalIds: [] });
    expect(unregisteredBatch.rejected).to.deep.equal([
      { index: 0, code: -32001, message: 'Forbidden: an agent connection may only send signals about the agent it registered as', paths: ['agentId'] },
    ]);

    await c.request('agent.register', { agentId: 'speaker', capabilities: [], capacity: 1 });
    expect((await c.request('coordination.signal', { agentId: 'speaker', signalType: 'load', value: 0.4 })).agentId).to.equal('speaker');
    expect((await c.call('coordination.signal', { agentId: 'target', signalType: 'load', value: 1 })).error.code).to.equal(-32001);
    const batch = await c.request('coordination.signal', {
      signals: [
        { agentId: 'speaker', signalType: 'quality', value: 0.9 },
        { agentId: 'target', signalType: 'load', value: 1 },
        { agentId: 'speaker', signalType: 'cost', value: 0.2 },
      ],
    });
    expect(batch.accepted).to.equal(2);
    expect(batch.rejected.map((r: any) => [r.index, r.code])).to.deep.equal([[1, -32001]]);
    expect(await loadOf('target'), 'no refused signal reached the target').to.deep.equal([0.1]);
    expect(await loadOf('speaker')).to.deep.equal([0.4]);
    await c.close();
  });

  it('lets an admin registered as one agent signal about another, and logs it once', async () => {
    const admin = await register(daemon, ADMIN, { agentId: 'admin-agent' });
    for (let i = 0; i < 2; i++)
      expect((await admin.c.request('coordination.signal', { agentId: 'someone', signalType: 'load', value: 0.5 })).agentId).to.equal('someone');
    await admin.c.request('coordination.signal', { signals: [{ agentId: 'someone', signalType: 'cost', value: 0.5 }] });
    const isNote = (l: Record<string, unknown>): boolean =>
      l.msg === 'admin connection registered as one agent sent signals about another' && l.about === 'someone';
    const first = await daemon.waitForLog(isNote);
    expect(first).to.deep.include({ agentId: 'admin-agent', level: 'info' });
    await admin.c.close();
    // The close is logged after every line of the connection's calls.
    await daemon.waitForLog((l) => l.msg === 'connection closed' && l.connectionId === first.connectionId);
    expect(daemon.logs.filter(isNote)).to.have.length(1);
  });

  it('lets operators feed signals about any agent', async () => {
    expect((await op.request('coordination.signal', { agentId: 'fed-from-outside', signalType: 'quality', value: 0.8 })).agentId).to.equal('fed-from-outside');
    const batch = await op.request('coordination.signal', {
      signals: [
        { agentId: 'a1', signalType: 'load', value: 0.2 },
        { agentId: 'a2', signalType: 'load', value: 0.3 },
      ],
    });
    expect(batch.accepted).to.equal(2);
  });

  it("shows another agent's leases without their lease ids and fencing tokens to agents; the holder and operators see them in full", async () => {
    const holder = await register(daemon, FLEET_A, { agentId: 'holder' });
    const other = await register(daemon, FLEET_B, { agentId: 'onlooker' });
    const grant = await holder.c.request('resource.acquire', { resource: 'repo/main', mode: 'exclusive', ttlSeconds: 60 });
    const full = { leaseId: grant.leaseId, fencingToken: grant.fencingToken, agentId: 'holder', mode: 'exclusive', resource: 'repo/main' };

    const own = await holder.c.request('resource.list', { resource: 'repo/main' });
    expect(own.resources[0].leases[0]).to.deep.include(full);
    const seen = await other.c.request('resource.list', { resource: 'repo/main' });
    const lease = seen.resources[0].leases[0];
    expect(lease).to.deep.include({ agentId: 'holder', mode: 'exclusive', resource: 'repo/main' });
    expect(lease).not.to.have.property('leaseId');
    expect(lease).not.to.have.property('fencingToken');
    expect(lease.expiresAt).to.equal(grant.expiresAt);
    const unregistered = daemon.connect(FLEET_A);
    const anon = (await unregistered.request('resource.list', {})).resources.find((r: any) => r.resource === 'repo/main');
    expect(anon.leases[0]).not.to.have.property('leaseId');
    expect((await op.request('resource.list', { resource: 'repo/main' })).resources[0].leases[0]).to.deep.include(full);
    const admin = daemon.connect(ADMIN);
    expect((await admin.request('resource.list', { resource: 'repo/main' })).resources[0].leases[0]).to.deep.include(full);

    // Nor can the onlooker use the holder's lease.
    expect((await other.c.call('resource.release', { leaseId: grant.leaseId })).error.code).to.equal(-32055);
    await Promise.all([holder.c.close(), other.c.close(), unregistered.close(), admin.close()]);
  });
});

describe('agent identity of spawned workers (real child process, join token)', function () {
  this.timeout(30_000);

  it("keeps a spawned worker's id with its join token: an agent token cannot take it over, and the worker keeps working", async () => {
    const daemon = await startDaemon({ COORDD_TOKENS_FILE: tokensFile(TOKENS) });
    const op = await TestClient.connect(daemon.url, OPERATOR);
    const [workerId] = (await op.request('pool.spawn', { count: 1 })).agentIds;
    const impostor = await register(daemon.url, FLEET_A, { agentId: workerId, capabilities: [] });
    expect(impostor.reply.error).to.deep.include({ code: -32001 });
    const refusal = await daemon.waitForLog((l) => l.msg === 'agent.register refused: id held by another credential');
    expect(refusal).to.deep.include({ agentId: workerId, credential: 'token#1' });
    expect(String(refusal.heldBy)).to.match(/^spawn:/);
    const t = await op.request('pool.assign', { type: 'echo', payload: { n: 7 } });
    const done = await op.request('task.wait', { taskId: t.taskId, timeoutMs: 10_000 });
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: workerId });
    expect(done.result.echo).to.deep.equal({ n: 7 });
    await Promise.all([impostor.c.close(), op.close()]);
    expect(await daemon.stop()).to.equal(0);
  });
});

describe('agent identity without tokens (in-process daemon, every connection admin as on loopback)', function () {
  this.timeout(20_000);

  it('lets a connection take an agent over (every connection shares the open credential), without a warning', async () => {
    const daemon = await startInProcess();
    const first = await register(daemon, '', { agentId: 'local-1' });
    const second = await register(daemon, '', { agentId: 'local-1' });
    expect(second.reply.result.agentId).to.equal('local-1');
    expect((await first.c.closed).code).to.equal(4001);
    // A refusal or an admin override is logged before the registration itself.
    await daemon.waitForLog((l) => l.msg === 'agent registered' && l.agentId === 'local-1' && l.takeover === true);
    expect(daemon.logs.some((l) => l.msg === 'admin took over an agent held by another credential')).to.equal(false);
    await second.c.close();
    await daemon.stop();
  });
});

describe('scoped tokens file validation', () => {
  const bad: [string, string, RegExp][] = [
    ['an empty agentIds list', JSON.stringify([{ token: FLEET_A, role: 'agent', agentIds: [] }]), /agentIds/],
    ['a scope on an operator token', JSON.stringify([{ token: OPERATOR, role: 'operator', agentIdPrefix: 'x-' }]), /apply only to agent tokens/],
    ['an empty prefix', JSON.stringify([{ token: FLEET_A, role: 'agent', agentIdPrefix: '' }]), /agentIdPrefix/],
    ['an unknown field', JSON.stringify([{ token: FLEET_A, role: 'agent', agentID: ['x'] }]), /agentID/],
    [
      'a duplicate name',
      JSON.stringify([
        { token: FLEET_A, role: 'agent', name: 'x' },
        { token: FLEET_B, role: 'agent', name: 'x' },
      ]),
      /name "x"/,
    ],
    [
      'the same token twice',
      JSON.stringify([
        { token: FLEET_A, role: 'agent' },
        { token: FLEET_A, role: 'operator' },
      ]),
      /token of entry 1/,
    ],
    ['a scope on a line', `${FLEET_A} agent team-a-\n`, /line 1/],
  ];
  for (const [what, content, message] of bad) {
    it(`exits 2 with one clear line on ${what}`, async () => {
      const { code, stderr } = await runDaemon({ COORDD_TOKENS_FILE: tokensFile(content) });
      expect(code).to.equal(2);
      const lines = stderr.trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0])
        .to.match(/^coordd: configuration error: COORDD_TOKENS_FILE: /)
        .and.match(message);
    });
  }
});
