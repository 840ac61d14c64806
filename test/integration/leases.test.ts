import { expect } from 'chai';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import { until } from '../support/settled.js';
import { tempFiles, tokensJson } from '../support/temp-files.js';
import type { TestClient } from '../support/ws-client.js';

const OPERATOR = 'lease-operator-token-0123456789';
const AGENT = 'lease-agent-token-0123456789';

/**
 * Hooks for the describe block: an in-process daemon with the operator and agent tokens and `yaml`
 * as its config file, and an operator connection, handed to `use` and kept for the whole block.
 */
function leaseDaemon(yaml: string, env: Record<string, string>, use: (daemon: InProcessDaemon, op: TestClient) => void): void {
  let daemon: InProcessDaemon;
  let op: TestClient;
  before(async () => {
    const files = tempFiles({ 'tokens.json': tokensJson({ [OPERATOR]: 'operator', [AGENT]: 'agent' }), 'coordd.yaml': yaml });
    daemon = await startInProcess({ COORDD_TOKENS_FILE: files['tokens.json'], COORDD_CONFIG: files['coordd.yaml'], ...env });
    op = daemon.connect(OPERATOR);
    use(daemon, op);
  });
  after(async () => {
    await op.close();
    await daemon.stop();
  });
}

/** `c`, registered as agent `agentId`. */
async function registered(c: TestClient, agentId: string): Promise<TestClient> {
  await c.request('agent.register', { agentId, capabilities: [], capacity: 1 });
  return c;
}

/** A raw agent connection (the agent token), registered. */
const agent = (daemon: InProcessDaemon, agentId: string): Promise<TestClient> => registered(daemon.connect(AGENT), agentId);

/**
 * Waits until the daemon lists `agentId` among `resource`'s waiters (asked through `lister`), then
 * says whether the acquire `p` is still pending: an awaited fact, not a guess after a sleep.
 */
async function queued(lister: TestClient, p: Promise<unknown>, resource: string, agentId: string): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await until(async () => {
    if (settled) return true;
    const list = await lister.request('resource.list', { resource });
    return list.resources[0]?.waiters.some((w: { agentId: string }) => w.agentId === agentId) ?? false;
  }, `${agentId} waiting for ${resource}`);
  return !settled;
}

/** Keep a raw agent alive with a heartbeat notification every 100 ms of the daemon's clock; returns the stop function. */
function heartbeats(daemon: InProcessDaemon, c: TestClient): () => void {
  const timer = daemon.clock.setInterval(() => c.send({ jsonrpc: '2.0', method: 'agent.heartbeat', params: {} }), 100);
  return () => daemon.clock.clearInterval(timer);
}

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('resource leases (in-process daemon on a virtual clock)', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;
  let op: TestClient;
  leaseDaemon('leases:\n  maxTtlSeconds: 120\n  maxWaitSeconds: 30\n', { COORDD_LOG_LEVEL: 'debug' }, (d, o) => {
    daemon = d;
    op = o;
  });

  it('second agent waits for an exclusive lease and is granted on release, with a higher fencing token', async () => {
    const a = await agent(daemon, 'lease-a');
    const b = await agent(daemon, 'lease-b');
    const first = await a.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 30 });
    expect(first).to.have.keys(['leaseId', 'resource', 'mode', 'fencingToken', 'expiresAt']);
    expect(first.expiresAt).to.be.within(daemon.clock.now() + 29_000, daemon.clock.now() + 31_000);
    const waiting = b.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 30, waitMs: 10_000, priority: 2 });
    expect(await queued(op, waiting, 'db', 'lease-b')).to.equal(true);
    await daemon.advance(20); // lease-b waits 20 ms
    const listed = await op.request('resource.list', { resource: 'db' });
    expect(listed.total).to.equal(1);
    expect(listed.resources[0].leases.map((l: any) => [l.agentId, l.fencingToken])).to.deep.equal([['lease-a', first.fencingToken]]);
    expect(listed.resources[0].waiters).to.have.length(1);
    expect(listed.resources[0].waiters[0]).to.deep.include({ agentId: 'lease-b', mode: 'exclusive', priority: 2 });
    expect(await a.request('resource.release', { leaseId: first.leaseId })).to.deep.include({ leaseId: first.leaseId, resource: 'db' });
    const second = await waiting;
    expect(second.fencingToken).to.be.greaterThan(first.fencingToken);
    expect((await a.call('resource.release', { leaseId: first.leaseId })).error.code).to.equal(-32054);
    expect((await a.call('resource.renew', { leaseId: second.leaseId })).error.code).to.equal(-32055);
    const renewed = await b.request('resource.renew', { leaseId: second.leaseId, ttlSeconds: 5 });
    expect(renewed.fencingToken).to.equal(second.fencingToken);
    expect(renewed.expiresAt).to.be.below(second.expiresAt);
    await b.request('resource.release', { leaseId: second.leaseId });
    await a.close();
    await b.close();
  });

  it('grants the waiter when the holder disconnects; the operator sees both conflicts in coordination.conflicts', async () => {
    const a = await agent(daemon, 'drop-a');
    const b = await agent(daemon, 'drop-b');
    const held = await a.request('resource.acquire', { resource: 'cache', mode: 'exclusive', ttlSeconds: 60 });
    const waiting = b.request('resource.acquire', { resource: 'cache', mode: 'shared', ttlSeconds: 60, waitMs: 10_000 });
    expect(await queued(op, waiting, 'cache', 'drop-b')).to.equal(true);
    await daemon.advance(20);
    await a.close();
    const granted = await waiting;
    expect(granted.fencingToken).to.be.greaterThan(held.fencingToken);
    const { events, stats } = await op.request('coordination.conflicts', { limit: 10 });
    expect(events[0]).to.deep.include({
      resource: 'cache',
      agentId: 'drop-b',
      kind: 'exclusive_held',
      resolution: 'resolved',
      leaseId: granted.leaseId,
      holderCount: 1,
    });
    expect(events[0].holders).to.deep.equal([{ agentId: 'drop-a', mode: 'exclusive', leaseId: held.leaseId }]);
    expect(events.some((e: any) => e.resource === 'db' && e.resolution === 'resolved')).to.equal(true);
    expect(stats).to.deep.include({ resolved: 2, escalated: 0, pending: 0, resolutionRate: 1 });
    expect(stats.waitMs.p50).to.be.above(0);
    expect((await op.request('coordination.conflicts', { resource: 'db' })).events.map((e: any) => e.resource)).to.deep.equal(['db']);
    await b.close();
  });

  it('refuses a contended acquire at once with RESOURCE_BUSY (waitMs 0) and after waitMs with LEASE_WAIT_TIMEOUT', async () => {
    const a = await agent(daemon, 'busy-a');
    const b = await agent(daemon, 'busy-b');
    await a.request('resource.acquire', { resource: 'queue', mode: 'shared', ttlSeconds: 60 });
    expect((await b.request('resource.acquire', { resource: 'queue', mode: 'shared', ttlSeconds: 1 })).mode).to.equal('shared');
    const busy = await b.call('resource.acquire', { resource: 'queue', mode: 'exclusive', ttlSeconds: 60 });
    expect(busy.error.code).to.equal(-32050);
    expect(busy.error.data).to.deep.include({ name: 'RESOURCE_BUSY', resource: 'queue', kind: 'shared_held', holders: 2 });
    const lateCall = b.call('resource.acquire', { resource: 'queue', mode: 'exclusive', ttlSeconds: 60, waitMs: 200 });
    await daemon.advance(200);
    const late = await lateCall;
    expect(late.error.code).to.equal(-32051);
    // Node's timer runs on the monotonic clock and waitedMs on the wall clock in whole ms: one ms apart at most.
    expect(late.error.data.waitedMs).to.be.at.least(199);
    const { stats } = await op.request('coordination.conflicts', {});
    expect(stats.escalated).to.equal(2);
    expect(stats.resolutionRate).to.equal(0.5);
    await a.close();
    await b.close();
  });

  it('caps ttlSeconds at leases.maxTtlSeconds from the config file', async () => {
    const a = await agent(daemon, 'cap-a');
    const g = await a.request('resource.acquire', { resource: 'capped', mode: 'exclusive', ttlSeconds: 3600 });
    expect(g.expiresAt).to.be.within(daemon.clock.now() + 110_000, daemon.clock.now() + 121_000);
    await a.close();
  });

  it('keeps the new connection’s leases when an agent takes over its own id', async () => {
    const old = await agent(daemon, 'twin');
    await old.request('resource.acquire', { resource: 'old-conn', mode: 'exclusive', ttlSeconds: 60 });
    const fresh = daemon.connect(AGENT);
    await fresh.request('agent.register', { agentId: 'twin', capabilities: [], capacity: 1 });
    const kept = await fresh.request('resource.acquire', { resource: 'new-conn', mode: 'exclusive', ttlSeconds: 60 });
    expect((await old.closed).code).to.equal(4001);
    const names = async (): Promise<string[]> => (await op.request('resource.list', {})).resources.map((r: any) => r.resource);
    await until(async () => !(await names()).includes('old-conn'), 'the old connection’s lease gone');
    expect(await names()).to.include('new-conn');
    await fresh.request('resource.release', { leaseId: kept.leaseId });
    await fresh.close();
  });

  it('validates params with field paths, requires a registered agent, and enforces roles', async () => {
    const a = await agent(daemon, 'val-a');
    const bad = await a.call('resource.acquire', { resource: '', mode: 'both', ttlSeconds: 0, waitMs: -1, extra: 1 });
    expect(bad.error.code).to.equal(-32602);
    expect(bad.error.data.paths).to.have.members(['resource', 'mode', 'ttlSeconds', 'waitMs', 'extra']);
    expect((await a.call('resource.renew', {})).error.data.paths).to.deep.equal(['leaseId']);
    const invalid: [string, object, string[]][] = [
      ['resource.release', {}, ['leaseId']],
      ['resource.release', { leaseId: '', extra: true }, ['leaseId', 'extra']],
      ['resource.list', { resource: '', limit: 0 }, ['resource', 'limit']],
      ['resource.list', { limit: 1.5, other: 1 }, ['limit', 'other']],
    ];
    for (const [method, params, paths] of invalid) {
      const reply = await a.call(method, params);
      expect(reply.error?.code, method).to.equal(-32602);
      expect(reply.error.data.paths, `${method} ${JSON.stringify(params)}`).to.have.members(paths);
    }
    for (const [params, paths] of [
      [{ limit: 1001 }, ['limit']],
      [{ resource: 7, limit: -1 }, ['resource', 'limit']],
      [{ since: 0 }, ['since']],
    ] as const) {
      const reply = await op.call('coordination.conflicts', params);
      expect(reply.error?.code, JSON.stringify(params)).to.equal(-32602);
      expect(reply.error.data.paths, JSON.stringify(params)).to.have.members(paths);
    }
    const unregistered = daemon.connect(AGENT);
    const refused = await unregistered.call('resource.acquire', { resource: 'x', mode: 'shared', ttlSeconds: 1 });
    expect(refused.error.code).to.equal(-32020);
    expect((await op.call('resource.acquire', { resource: 'x', mode: 'shared', ttlSeconds: 1 })).error.code).to.equal(-32001);
    expect((await a.call('coordination.conflicts', {})).error.code).to.equal(-32001);
    expect((await a.request('resource.list', {})).total).to.be.a('number');
    await unregistered.close();
    await a.close();
  });

  it('exports lease metrics on /metrics', async () => {
    const text = await daemon.metrics();
    expect(metricValue(text, 'coordd_resource_acquires_total', 'result="granted_after_wait"')).to.equal(2);
    expect(metricValue(text, 'coordd_resource_acquires_total', 'result="rejected"')).to.equal(1);
    expect(metricValue(text, 'coordd_resource_acquires_total', 'result="timeout"')).to.equal(1);
    expect(metricValue(text, 'coordd_resource_conflicts_total', 'kind="exclusive_held",resolution="resolved"')).to.equal(2);
    expect(metricValue(text, 'coordd_resource_conflicts_total', 'kind="shared_held",resolution="escalated"')).to.equal(2);
    expect(metricValue(text, 'coordd_resource_lease_ends_total', 'reason="disconnected"')).to.be.at.least(3);
    expect(metricValue(text, 'coordd_resource_lease_ends_total', 'reason="released"')).to.be.at.least(3);
    expect(metricValue(text, 'coordd_resource_wait_seconds_count', 'outcome="granted"')).to.equal(2);
    expect(text).to.match(/^coordd_resource_waiters 0$/m);
    expect(text).to.match(/^coordd_resource_leases\{mode="exclusive"\} \d+$/m);
  });
});

describe('resource lease limits and ownership errors (in-process daemon on a virtual clock)', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;
  let op: TestClient;
  leaseDaemon('leases:\n  maxWaitersPerResource: 1\n  maxLeasesPerAgent: 2\n', {}, (d, o) => {
    daemon = d;
    op = o;
  });

  it('answers LEASE_QUEUE_FULL once leases.maxWaitersPerResource acquires wait for the resource', async () => {
    const a = await agent(daemon, 'qf-a');
    const b = await agent(daemon, 'qf-b');
    const c = await agent(daemon, 'qf-c');
    const held = await a.request('resource.acquire', { resource: 'narrow', mode: 'exclusive', ttlSeconds: 60 });
    const waiting = b.request('resource.acquire', { resource: 'narrow', mode: 'exclusive', ttlSeconds: 60, waitMs: 10_000 });
    expect(await queued(op, waiting, 'narrow', 'qf-b')).to.equal(true);
    const full = await c.call('resource.acquire', { resource: 'narrow', mode: 'shared', ttlSeconds: 60, waitMs: 10_000 });
    expect(full.error.code).to.equal(-32052);
    expect(full.error.data).to.deep.include({ name: 'LEASE_QUEUE_FULL', resource: 'narrow', maxWaitersPerResource: 1, waiters: 1, holders: 1 });
    const { events } = await op.request('coordination.conflicts', { resource: 'narrow' });
    expect(events[0]).to.deep.include({ agentId: 'qf-c', resolution: 'escalated', conflictId: full.error.data.conflictId });
    // The refused acquire did not take the place of the queued one.
    await a.request('resource.release', { leaseId: held.leaseId });
    expect((await waiting).resource).to.equal('narrow');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('answers LEASE_LIMIT once an agent holds plus awaits leases.maxLeasesPerAgent leases', async () => {
    const a = await agent(daemon, 'lim-a');
    const b = await agent(daemon, 'lim-b');
    const blocker = await b.request('resource.acquire', { resource: 'lim-2', mode: 'exclusive', ttlSeconds: 60 });
    await a.request('resource.acquire', { resource: 'lim-1', mode: 'exclusive', ttlSeconds: 60 });
    // A waiting acquire counts against the limit too.
    const waiting = a.request('resource.acquire', { resource: 'lim-2', mode: 'exclusive', ttlSeconds: 60, waitMs: 10_000 });
    expect(await queued(op, waiting, 'lim-2', 'lim-a')).to.equal(true);
    const refused = await a.call('resource.acquire', { resource: 'lim-3', mode: 'shared', ttlSeconds: 60 });
    expect(refused.error.code).to.equal(-32053);
    expect(refused.error.data).to.deep.equal({ name: 'LEASE_LIMIT', detail: refused.error.data.detail, agentId: 'lim-a', maxLeasesPerAgent: 2 });
    expect((await op.request('resource.list', { resource: 'lim-3' })).total).to.equal(0);
    await b.request('resource.release', { leaseId: blocker.leaseId });
    const granted = await waiting;
    expect((await a.call('resource.acquire', { resource: 'lim-3', mode: 'shared', ttlSeconds: 60 })).error.code).to.equal(-32053);
    await a.request('resource.release', { leaseId: granted.leaseId });
    expect((await a.request('resource.acquire', { resource: 'lim-3', mode: 'shared', ttlSeconds: 60 })).resource).to.equal('lim-3');
    await Promise.all([a.close(), b.close()]);
  });

  it('answers LEASE_NOT_FOUND to renewing an unknown or released lease, and LEASE_NOT_OWNED to releasing another agent’s', async () => {
    const a = await agent(daemon, 'own-a');
    const b = await agent(daemon, 'own-b');
    const unknown = await a.call('resource.renew', { leaseId: 'no-such-lease', ttlSeconds: 5 });
    expect(unknown.error.code).to.equal(-32054);
    expect(unknown.error.data).to.deep.include({ name: 'LEASE_NOT_FOUND', leaseId: 'no-such-lease' });
    const g = await a.request('resource.acquire', { resource: 'owned', mode: 'exclusive', ttlSeconds: 60 });
    const notOwned = await b.call('resource.release', { leaseId: g.leaseId });
    expect(notOwned.error.code).to.equal(-32055);
    expect(notOwned.error.data).to.deep.include({ name: 'LEASE_NOT_OWNED', leaseId: g.leaseId, agentId: 'own-a' });
    // Refused, so the lease is still a's.
    expect((await op.request('resource.list', { resource: 'owned' })).resources[0].leases.map((l: any) => l.leaseId)).to.deep.equal([g.leaseId]);
    await a.request('resource.release', { leaseId: g.leaseId });
    const released = await a.call('resource.renew', { leaseId: g.leaseId });
    expect(released.error.code).to.equal(-32054);
    expect(released.error.data).to.deep.include({ name: 'LEASE_NOT_FOUND', leaseId: g.leaseId });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('resource leases of a removed agent (in-process daemon on a virtual clock)', function () {
  this.timeout(20_000);
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInProcess({ COORDD_AGENT_HEARTBEAT_INTERVAL: '0.1', COORDD_AGENT_LEASE_TTL: '0.3', COORDD_AGENT_REMOVAL_GRACE: '0.3' });
  });
  after(async () => {
    await daemon.stop();
  });

  it('ends the leases of an agent removed for missed heartbeats and grants the waiter', async () => {
    const silent = await registered(daemon.connect(), 'silent');
    const held = await silent.request('resource.acquire', { resource: 'lock', mode: 'exclusive', ttlSeconds: 600 });
    const live = await registered(daemon.connect(), 'live');
    const stopBeating = heartbeats(daemon, live);
    try {
      const granted = await daemon.advanceUntil(
        live.request('resource.acquire', { resource: 'lock', mode: 'exclusive', ttlSeconds: 60, waitMs: 10_000 }),
        'the lock granted',
      );
      expect(granted.fencingToken).to.be.greaterThan(held.fencingToken);
      expect((await silent.closed).code).to.equal(4002);
      const text = await daemon.metrics();
      expect(metricValue(text, 'coordd_resource_lease_ends_total', 'reason="removed"')).to.equal(1);
    } finally {
      stopBeating();
      await live.close();
    }
  });

  it('cancels the waiting acquire of an agent removed for missed heartbeats (LEASE_WAIT_CANCELLED, conflict abandoned)', async () => {
    const live = await registered(daemon.connect(), 'holder-live');
    const stopBeating = heartbeats(daemon, live);
    try {
      const held = await live.request('resource.acquire', { resource: 'contended', mode: 'exclusive', ttlSeconds: 600 });
      const silent = await registered(daemon.connect(), 'silent-waiter');
      const waiting = silent.call('resource.acquire', { resource: 'contended', mode: 'exclusive', ttlSeconds: 60, waitMs: 60_000 });
      expect(await queued(live, waiting, 'contended', 'silent-waiter')).to.equal(true);
      // The daemon closes the socket before it cancels the wait, so the LEASE_WAIT_CANCELLED reply
      // has nobody to go to: the close comes first and no reply ever does.
      const first = await daemon.advanceUntil(
        Promise.race([waiting.then((reply) => ({ reply })), silent.closed.then((closed) => ({ closed }))]),
        'silent-waiter removed',
      );
      expect(first).to.deep.equal({ closed: { code: 4002, reason: 'missed heartbeats' } });
      expect(await daemon.waitForLog((l) => l.msg === 'leases released: owner gone' && l.agentId === 'silent-waiter')).to.deep.include({
        reason: 'removed',
        waits: 1,
        leases: 0,
      });
      const listed = await live.request('resource.list', { resource: 'contended' });
      expect(listed.resources[0].waiters).to.deep.equal([]);
      expect(listed.resources[0].leases.map((l: any) => l.leaseId)).to.deep.equal([held.leaseId]);
      const { events } = await live.request('coordination.conflicts', { resource: 'contended' });
      expect(events[0]).to.deep.include({ agentId: 'silent-waiter', resolution: 'abandoned' });
      expect(metricValue(await daemon.metrics(), 'coordd_resource_acquires_total', 'result="cancelled"')).to.equal(1);
    } finally {
      stopBeating();
      await live.close();
    }
  });

  it('answers a waiting acquire SHUTTING_DOWN when the daemon stops, without waiting for the shutdown timeout', async () => {
    const a = await registered(daemon.connect(), 'holder');
    const stopA = heartbeats(daemon, a);
    await a.request('resource.acquire', { resource: 'final', mode: 'exclusive', ttlSeconds: 600 });
    const b = await registered(daemon.connect(), 'waiter');
    const stopB = heartbeats(daemon, b);
    const waiting = b.call('resource.acquire', { resource: 'final', mode: 'exclusive', ttlSeconds: 60, waitMs: 60_000 });
    expect(await queued(a, waiting, 'final', 'waiter')).to.equal(true);
    const started = Date.now();
    // The daemon's own stop, not the harness's: the clock stands still, so nothing waits on a timer.
    const stopped = daemon.daemon.stop();
    expect((await waiting).error.code).to.equal(-32002);
    await stopped;
    expect(Date.now() - started).to.be.below(5000);
    stopA();
    stopB();
  });
});
