import { expect } from 'chai';
import { GatewayWatch, Membership } from '../../src/cluster/membership.js';
import { entryFields } from '../../src/cluster/relay/relay-streams.js';
import { LEADER_CHANGED, NO_LEADER } from '../../src/cluster/relay/gateway-relay.js';
import { silentLog } from '../../src/log.js';
import { ClusterMetrics } from '../../src/observability/cluster-metrics.js';
import { Registry } from 'prom-client';
import { findRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';
import { asRelayRedis, RelayHarness, type TestGateway } from '../support/relay-harness.js';
import { until } from '../support/settled.js';
import type { TestClient } from '../support/ws-client.js';

/** The next daemon → client message of a method (skipping others). */
async function nextOf(c: TestClient, method: string): Promise<any> {
  for (;;) {
    const m = await c.next();
    if (m.method === method) return m;
  }
}

/** An agent on `gw` that registers and answers every task.run with `{echo: payload}`. */
async function echoAgent(gw: TestGateway, agentId: string, running?: { taskId: string; epoch: number }[]): Promise<{ c: TestClient; reg: any }> {
  const c = await gw.connect();
  const reg = await c.request('agent.register', { agentId, capabilities: ['echo'], capacity: 4, ...(running && { running }) });
  return { c, reg };
}

function serve(c: TestClient): void {
  void (async () => {
    for (;;) {
      const m = await c.next().catch(() => undefined);
      if (!m) return;
      if (m.method === 'task.run') c.send({ jsonrpc: '2.0', id: m.id, result: { echo: m.params.payload } });
    }
  })();
}

describe('cluster relay over a real redis-server (gateway → calls stream → leader inbox → in-process core)', function () {
  this.timeout(30_000);
  let bin: string | undefined;
  let redis: RedisServer;
  let h: RelayHarness;

  before(function () {
    bin = findRedisServer();
    if (!bin) this.skip();
  });
  beforeEach(async () => {
    redis = await startRedis(bin!);
    h = new RelayHarness(redis);
  });
  afterEach(async () => {
    await h?.stop();
    await redis?.stop();
  });

  it('pool.assign through a gateway runs on an agent connected to the gateway; every frame crosses Redis', async () => {
    const leader = await h.leader(1);
    const gw = await h.gateway(1);
    const agent = await echoAgent(gw, 'relay-agent-1');
    expect(agent.reg.agentId).to.equal('relay-agent-1');
    serve(agent.c);
    const op = await gw.connect();
    const task = await op.request('pool.assign', { type: 'echo', payload: { n: 1 }, requiredCapabilities: ['echo'] });
    const done = await op.request('task.wait', { taskId: task.taskId, timeoutMs: 5000 });
    expect(done).to.deep.include({ state: 'COMPLETED' });
    expect(done.result).to.deep.equal({ echo: { n: 1 } });
    // The leader saw the relayed connections as its own, and the gateway's counter counted the frames.
    const info = await leader.direct().request('agent.get', { agentId: 'relay-agent-1' });
    expect(info.completed).to.equal(1);
    expect(leader.inbox.connections).to.equal(2);
    expect(await gw.registry.getSingleMetricAsString('coordd_cluster_forwarded_calls_total')).to.match(/ (\d+)$/);
    expect(gw.relay.stats.forwarded).to.be.at.least(6);
    // The gateway's stream expires once nobody writes to it (its gateway gone).
    expect(Number(await redis.command(['PTTL', h.keys.gateway(gw.gatewayId)]))).to.be.within(1, 60_000);
    await agent.c.close();
    await until(() => leader.inbox.connections === 1, 'the agent connection to close on the leader');
    expect((await leader.direct().call('agent.get', { agentId: 'relay-agent-1' })).error.code).to.equal(-32010);
  });

  it('keeps JSON-RPC exact through the relay: batches, parse errors, unknown methods, invalid params, notifications, roles', async () => {
    await h.leader(1);
    const gw = await h.gateway(1);
    const c = await gw.connect();
    c.sendText('{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]');
    expect(await c.next()).to.deep.equal({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    c.sendText('[]');
    expect((await c.next()).error.code).to.equal(-32600);
    c.send([
      { jsonrpc: '2.0', id: 'a', method: 'session.info' },
      { jsonrpc: '2.0', method: 'coordination.signal', params: { agentId: 'x', signalType: 'load', value: 0.5 } },
      { jsonrpc: '2.0', id: 'b', method: 'no.such' },
    ]);
    const batch = await c.next();
    expect(batch).to.have.length(2);
    expect(batch.find((r: any) => r.id === 'b').error.code).to.equal(-32601);
    expect(batch.find((r: any) => r.id === 'a').result.role).to.equal('admin');
    const invalid = await c.call('pool.assign', { type: 3 });
    expect(invalid.error.code).to.equal(-32602);
    expect(invalid.error.data.paths).to.include('type');
    expect((await c.call('coordination.state', { agentId: 'nobody' })).error.code).to.equal(-32010);
  });

  it('answers cluster.status on the gateway itself (operator role), without the leader', async () => {
    const gw = await h.gateway(undefined, { relay: { forwardWaitMs: 60_000 } });
    const c = await gw.connect();
    const status = await c.request('cluster.status', {});
    expect(status.nodeId).to.equal(gw.gatewayId);
    expect((await c.call('cluster.status', { extra: 1 })).error.code).to.equal(-32602);
    expect(gw.relay.stats.forwarded).to.equal(0);
  });

  it('a leader change answers the calls in flight LEADER_UNAVAILABLE and closes the relayed sockets with 1012', async () => {
    const leader = await h.leader(1);
    const gw = await h.gateway(1);
    const c = await gw.connect();
    const task = await c.request('pool.assign', { type: 'nobody-runs-this', payload: {}, requiredCapabilities: ['none'] });
    const waiting = c.call('task.wait', { taskId: task.taskId, timeoutMs: 20_000 });
    // It reached the leader, which waits: the answer must still come, as LEADER_UNAVAILABLE.
    await until(() => leader.daemon.engine.pending() === 1, 'task.wait to wait on the leader');
    gw.relay.leaderChanged({ nodeId: 'leader-2', term: 2 });
    const reply = await waiting;
    expect(reply.error.code).to.equal(-32007);
    expect(reply.error.data).to.deep.equal({ retryAfterMs: 1000, reason: LEADER_CHANGED });
    expect(reply.error.data.reason).to.include('idempotencyKey');
    expect((await c.closed).code).to.equal(1012);
  });

  it('drops stale-term entries: the leader ignores calls of an older term, the gateway frames of an older term', async () => {
    const leader = await h.leader(3);
    const gw = await h.gateway(3);
    const raw = await h.client();
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('open', 'gw-old', 'c-old', 2, undefined, JSON.stringify({ role: 'admin' }))]);
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('msg', 'gw-old', 'c-old', 2, '{"jsonrpc":"2.0","id":1,"method":"session.info"}')]);
    await until(() => leader.inbox.stats.dropped === 2, 'the stale calls to be dropped');
    expect(leader.inbox.connections).to.equal(0);
    const c = await gw.connect();
    expect((await c.request('session.info')).role).to.equal('admin');
    expect([...leader.inbox.gateways()]).to.deep.equal([gw.gatewayId]);
    // A late frame of term 2 on this gateway's stream, for a connection relayed under term 3: dropped.
    const before = gw.relay.stats.dropped;
    await raw.sendCommand(['XADD', h.keys.gateway(gw.gatewayId), '*', ...entryFields('msg', gw.gatewayId, 'whatever', 2, '{"jsonrpc":"2.0","method":"x"}')]);
    await until(() => gw.relay.stats.dropped === before + 1, 'the stale frame to be dropped');
    expect(c.buffered).to.equal(0);
    await until(async () => Number(((await raw.sendCommand(['XPENDING', h.keys.calls, 'leader'])) as unknown[])[0]) === 0, 'every call to be acknowledged');
  });

  it("a new leader reclaims (XAUTOCLAIM) what a dead leader read and did not acknowledge, dropping the old term's", async () => {
    const raw = await h.client();
    await raw.sendCommand(['XGROUP', 'CREATE', h.keys.calls, 'leader', '0', 'MKSTREAM']);
    // Term 1's leader read two calls and died before acknowledging them.
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('open', 'gw-a', 'c1', 1, undefined, JSON.stringify({ role: 'admin' }))]);
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('msg', 'gw-a', 'c1', 1, '{"jsonrpc":"2.0","id":1,"method":"session.info"}')]);
    // A gateway that already follows term 2 relayed a connection the dead leader also read.
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('open', 'gw-b', 'c2', 2, undefined, JSON.stringify({ role: 'operator' }))]);
    await raw.sendCommand(['XADD', h.keys.calls, '*', ...entryFields('msg', 'gw-b', 'c2', 2, '{"jsonrpc":"2.0","id":7,"method":"session.info"}')]);
    await raw.sendCommand(['XREADGROUP', 'GROUP', 'leader', 'leader-1', 'COUNT', '10', 'STREAMS', h.keys.calls, '>']);
    const leader = await h.leader(2);
    expect(leader.inbox.stats).to.deep.include({ reclaimed: 4, dropped: 2, handled: 2 });
    const reply = await raw.sendCommand(['XREAD', 'BLOCK', '5000', 'STREAMS', h.keys.gateway('gw-b'), '0-0']);
    const fields = (reply as any)[0][1][0][1] as string[];
    const frame = JSON.parse(fields[fields.indexOf('d') + 1]!);
    expect(frame).to.deep.include({ id: 7 });
    expect(frame.result.role).to.equal('operator');
    expect(fields[fields.indexOf('t') + 1]).to.equal('2');
    await until(async () => Number(((await raw.sendCommand(['XPENDING', h.keys.calls, 'leader'])) as unknown[])[0]) === 0, 'every call to be acknowledged');
  });

  it('holds calls while no leader is known: answered once one is, LEADER_UNAVAILABLE after forwardWaitMs', async () => {
    await h.leader(1);
    const gw = await h.gateway(undefined, { relay: { forwardWaitMs: 300 } });
    const c = await gw.connect();
    const late = await c.call('session.info');
    expect(late.error.code).to.equal(-32007);
    expect(late.error.data).to.deep.equal({ retryAfterMs: 1000, reason: NO_LEADER });
    const held = c.call('session.info');
    await until(() => gw.relay.waiting === 1, 'the call to be held');
    gw.relay.leaderChanged({ nodeId: 'leader-1', term: 1 });
    expect((await held).result.role).to.equal('admin');
  });

  it("a gateway whose heartbeat expired is lost: its connections close on the leader, its agents' attempts wait for reattachment elsewhere", async () => {
    const leader = await h.leader(1, { env: { COORDD_REATTACH_GRACE: '30' } });
    const gwA = await h.gateway(1);
    const gwB = await h.gateway(1);
    const redisA = asRelayRedis(await h.client());
    const membershipA = new Membership(
      { redis: redisA, nodeId: 'node-a', gatewayId: gwA.gatewayId, url: () => gwA.url, agents: () => gwA.relay.agents(), log: silentLog },
      { prefix: h.keys.calls.replace(/calls$/, ''), nodeTtlMs: 300 },
    );
    await membershipA.heartbeat();
    const agent = await echoAgent(gwA, 'roaming-1');
    const op = leader.direct();
    const task = await op.request('pool.assign', { type: 'echo', payload: { n: 2 }, requiredCapabilities: ['echo'] });
    const run = await nextOf(agent.c, 'task.run');
    const watchRedis = asRelayRedis(await h.client());
    const watch = new GatewayWatch(
      {
        membership: new Membership(
          { redis: watchRedis, nodeId: 'leader', gatewayId: 'leader-gw', url: () => '', agents: () => 0, log: silentLog },
          { prefix: '{coordd}:', nodeTtlMs: 300 },
        ),
        relayed: () => leader.inbox.gateways(),
        lost: (g) => leader.inbox.gatewayLost(g),
        log: silentLog,
      },
      { nodeTtlMs: 300 },
    );
    expect(await watch.check()).to.deep.equal([]);
    // Replica A stops heartbeating (as if killed): its key expires.
    await until(async () => (await watch.check()).length === 1, "replica A's key to expire", 5000, 50);
    await until(() => leader.inbox.connections === 0, "A's relayed connections to close on the leader");
    const during = await op.request('task.get', { taskId: task.taskId });
    expect(during.state).to.equal('IN_PROGRESS');
    // The agent reconnects through replica B and reattaches its running attempt.
    const again = await echoAgent(gwB, 'roaming-1', [{ taskId: task.taskId, epoch: run.params.epoch }]);
    expect(again.reg.reattached).to.deep.equal([{ taskId: task.taskId, epoch: run.params.epoch }]);
    expect(await again.c.request('task.report', { taskId: task.taskId, epoch: run.params.epoch, result: { via: 'B' } })).to.deep.include({ accepted: true });
    const done = await op.request('task.get', { taskId: task.taskId });
    expect(done).to.deep.include({ state: 'COMPLETED', result: { via: 'B' } });
    expect(done.attempts).to.have.length(1);
  });

  it('acknowledges calls only once the commit after them resolved; the stream lag metric shows what waits', async () => {
    let release!: () => void;
    const commit = new Promise<void>((resolve) => (release = resolve));
    const leader = await h.leader(1, { committed: () => commit });
    const gw = await h.gateway(1);
    const metrics = new ClusterMetrics(new Registry());
    metrics.measureLag(() => leader.inbox.lag());
    const c = await gw.connect();
    // The reply leaves (the in-process core commits nothing of its own); the acknowledgement waits.
    expect((await c.request('session.info')).role).to.equal('admin');
    const lag = await leader.inbox.lag();
    expect(lag.entries).to.equal(2);
    expect(lag.oldestPendingMs).to.be.at.least(0);
    expect(await metrics.streamLag.get()).to.have.nested.property('values.length', 2);
    release();
    await until(async () => (await leader.inbox.lag()).entries === 0, 'the calls to be acknowledged');
    expect((await metrics.streamLag.get()).values.find((v) => v.labels.unit === 'entries')?.value).to.equal(0);
  });

  it('membership lists live replicas for cluster.status and forgets one whose key expired', async () => {
    const raw = asRelayRedis(await h.client());
    const mk = (nodeId: string, ttl: number) =>
      new Membership(
        { redis: raw, nodeId, gatewayId: `${nodeId}.g`, url: () => `ws://${nodeId}:7420/rpc`, agents: () => 3, log: silentLog },
        { prefix: '{coordd}:', nodeTtlMs: ttl },
      );
    const a = mk('a', 5000);
    const b = mk('b', 200);
    await a.start();
    await b.heartbeat();
    await raw.sendCommand(['SET', '{coordd}:leader', 'a']);
    await raw.sendCommand(['SET', '{coordd}:term', '4']);
    const status = await a.status();
    expect(status).to.deep.include({ nodeId: 'a', leaderId: 'a', term: 4 });
    expect(status.nodes.map((n) => [n.nodeId, n.leader, n.agents, n.url])).to.deep.equal([
      ['a', true, 3, 'ws://a:7420/rpc'],
      ['b', false, 3, 'ws://b:7420/rpc'],
    ]);
    await until(async () => (await a.status()).nodes.length === 1, "b's key to expire", 5000, 50);
    expect(await raw.sendCommand(['HKEYS', '{coordd}:nodes'])).to.deep.equal(['a']);
    await a.stop();
    expect((await a.status()).nodes).to.deep.equal([]);
  });
});
