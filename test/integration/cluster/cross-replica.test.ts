import { expect } from 'chai';
import { startDaemon, type DaemonProcess } from '../../support/daemon-process.js';
import { findRedisServer, startRedis, type RedisServer } from '../../support/redis-server.js';
import { until } from '../../support/settled.js';
import { TestClient } from '../../support/ws-client.js';

const env = (redis: RedisServer, nodeId: string): Record<string, string> => ({
  COORDD_STORE: redis.url,
  COORDD_NODE_ID: nodeId,
  COORDD_CLUSTER_LEASE: '1',
  COORDD_LOG_LEVEL: 'info',
});

const leads = (nodeId: string) => (l: Record<string, unknown>) =>
  l.msg === 'leader changed' && (l.leader as { nodeId?: string } | undefined)?.nodeId === nodeId;

/** A raw agent on `url`: registers, then answers task.run with its payload and message.deliver with its id. */
async function agentOn(url: string, agentId: string, capabilities: string[]): Promise<TestClient> {
  const c = await TestClient.connect(url);
  await c.request('agent.register', { agentId, capabilities, capacity: 4 });
  void (async () => {
    for (;;) {
      const m = await c.next().catch(() => undefined);
      if (!m) return;
      if (m.method === 'task.run') c.send({ jsonrpc: '2.0', id: m.id, result: { ranOn: agentId, payload: m.params.payload } });
      if (m.method === 'message.deliver') c.send({ jsonrpc: '2.0', id: m.id, result: { answeredBy: agentId } });
    }
  })();
  return c;
}

describe('cluster: three replica processes, calls relayed across replicas through Redis', function () {
  this.timeout(90_000);
  const binary = findRedisServer();
  let redis: RedisServer;
  let leader: DaemonProcess;
  let replicaA: DaemonProcess;
  let replicaB: DaemonProcess;
  const clients: TestClient[] = [];

  const connect = async (r: DaemonProcess): Promise<TestClient> => {
    const c = await TestClient.connect(r.url);
    clients.push(c);
    return c;
  };

  before(async function () {
    if (!binary) this.skip();
    redis = await startRedis(binary);
    leader = await startDaemon(env(redis, 'l'));
    await leader.waitForLog((l) => l.msg === 'serving as leader');
    [replicaA, replicaB] = await Promise.all([startDaemon(env(redis, 'a')), startDaemon(env(redis, 'b'))]);
    await Promise.all([replicaA.waitForLog(leads('l')), replicaB.waitForLog(leads('l'))]);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await Promise.all([replicaA, replicaB, leader].filter(Boolean).map((r) => r.stop()));
    await redis?.stop();
  });

  it('an operator on replica A assigns a task that runs on an agent connected to replica B', async () => {
    clients.push(await agentOn(replicaB.url, 'worker-on-b', ['cross']));
    const op = await connect(replicaA);
    const task = await op.request('pool.assign', { type: 'cross', payload: { n: 7 }, requiredCapabilities: ['cross'] });
    const done = await op.request('task.wait', { taskId: task.taskId, timeoutMs: 10_000 });
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: 'worker-on-b' });
    expect(done.result).to.deep.equal({ ranOn: 'worker-on-b', payload: { n: 7 } });
    // The leader sees the agent as its own; the same task read through the third replica.
    const direct = await connect(leader);
    expect((await direct.request('task.get', { taskId: task.taskId })).state).to.equal('COMPLETED');
  });

  it('cluster.status lists all three replicas, answered by the replica asked', async () => {
    const op = await connect(replicaA);
    await until(async () => (await op.request('cluster.status')).nodes.length === 3, 'three live replicas');
    const status = await op.request('cluster.status');
    expect(status).to.deep.include({ nodeId: 'a', leaderId: 'l' });
    expect(status.term).to.be.at.least(1);
    expect(status.nodes.map((n: any) => [n.nodeId, n.leader])).to.deep.equal([
      ['a', false],
      ['b', false],
      ['l', true],
    ]);
    for (const n of status.nodes) expect(n.url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/rpc$/);
    // Agents count where they are connected: the one on B (relayed), and one straight on the leader.
    clients.push(await agentOn(leader.url, 'worker-on-leader', []));
    const agentsOf = async () => Object.fromEntries((await op.request('cluster.status')).nodes.map((n: any) => [n.nodeId, n.agents]));
    await until(async () => JSON.stringify(await agentsOf()) === JSON.stringify({ a: 0, b: 1, l: 1 }), 'the agent counts to be announced');
    expect((await (await connect(leader)).request('cluster.status')).nodeId).to.equal('l');
    // Metrics: the leader says so, the followers count what they relayed.
    const leaderMetrics = await (await fetch(`${leader.httpUrl}/metrics`)).text();
    expect(leaderMetrics).to.match(/^coordd_cluster_leader 1$/m);
    const followerMetrics = await (await fetch(`${replicaA.httpUrl}/metrics`)).text();
    expect(followerMetrics).to.match(/^coordd_cluster_leader 0$/m);
    expect(Number(/^coordd_cluster_forwarded_calls_total (\d+)$/m.exec(followerMetrics)?.[1])).to.be.greaterThan(0);
  });

  it("signals sent to replica B steer the leader's routing of router.route called on replica A", async () => {
    clients.push(await agentOn(replicaB.url, 'steer-busy', ['steer']));
    clients.push(await agentOn(replicaB.url, 'steer-calm', ['steer']));
    const onB = await connect(replicaB);
    const signal = (agentId: string, signalType: string, value: number) => onB.request('coordination.signal', { agentId, signalType, value });
    for (const [type, busy, calm] of [
      ['load', 1, 0],
      ['availability', 0, 1],
      ['quality', 0, 1],
      ['capacity', 0, 1],
    ] as const) {
      await signal('steer-busy', type, busy);
      await signal('steer-calm', type, calm);
    }
    const onA = await connect(replicaA);
    const select = await onA.request('router.select', { requiredCapabilities: ['steer'], strategy: 'RIPPLE_COORDINATION' });
    expect(select.agentId).to.equal('steer-calm');
    const routed = await onA.request('router.route', { message: { text: 'hello' }, requiredCapabilities: ['steer'], strategy: 'RIPPLE_COORDINATION' });
    expect(routed).to.deep.include({ agentId: 'steer-calm', response: { answeredBy: 'steer-calm' } });
  });

  it('resource.acquire across replicas: a waiter on B is granted when the holder on A releases, with a higher fencing token', async () => {
    const holder = await agentOn(replicaA.url, 'lease-holder', []);
    const waiter = await agentOn(replicaB.url, 'lease-waiter', []);
    clients.push(holder, waiter);
    const held = await holder.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 30 });
    const waiting = waiter.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 30, waitMs: 20_000 });
    const op = await connect(leader);
    await until(async () => (await op.request('resource.list', { resource: 'db' })).resources[0]?.waiters.length > 0, 'the waiter to queue on the leader');
    await holder.request('resource.release', { leaseId: held.leaseId });
    const granted = await waiting;
    expect(granted.fencingToken).to.be.greaterThan(held.fencingToken);
  });
});
