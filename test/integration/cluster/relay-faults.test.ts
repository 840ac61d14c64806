import { expect } from 'chai';
import type { RedisServer } from '../../support/redis-server.js';
import { until } from '../../support/settled.js';
import type { TestClient } from '../../support/ws-client.js';
import { replicaSuite } from './replicas.js';

const env = (redis: RedisServer, nodeId: string): Record<string, string> => ({
  COORDD_STORE: redis.url,
  COORDD_NODE_ID: nodeId,
  COORDD_CLUSTER_LEASE: '1',
  COORDD_CLUSTER_NODE_TTL: '1',
  COORDD_REATTACH_GRACE: '20',
  COORDD_LOG_LEVEL: 'info',
});

const follows = (nodeId: string) => (l: Record<string, unknown>) =>
  l.msg === 'leader changed' && (l.leader as { nodeId?: string } | undefined)?.nodeId === nodeId;

/** The next daemon → client message of a method (skipping others). */
async function nextOf(c: TestClient, method: string): Promise<any> {
  for (;;) {
    const m = await c.next();
    if (m.method === method) return m;
  }
}

describe('cluster relay faults: replica processes killed with -9', function () {
  this.timeout(90_000);
  const { replica, testClient: connect } = replicaSuite(env);

  it("a gateway killed with -9: the leader closes its relayed connections, and the agent's running task waits for it to reattach through another replica", async () => {
    const leader = await replica('l');
    await leader.waitForLog((l) => l.msg === 'serving as leader');
    const [doomed, spare] = await Promise.all([replica('doomed'), replica('spare')]);
    await Promise.all([doomed.waitForLog(follows('l')), spare.waitForLog(follows('l'))]);
    const agent = await connect(doomed);
    await agent.request('agent.register', { agentId: 'roamer', capabilities: ['long'], capacity: 1 });
    const op = await connect(leader);
    const task = await op.request('pool.assign', { type: 'long', payload: {}, requiredCapabilities: ['long'] });
    const run = await nextOf(agent, 'task.run');
    doomed.proc.kill('SIGKILL');
    await agent.closed;
    await leader.waitForLog((l) => l.msg === 'gateway lost: its relayed connections are closed');
    expect((await op.request('task.get', { taskId: task.taskId })).state).to.equal('IN_PROGRESS');
    expect((await op.call('agent.get', { agentId: 'roamer' })).error.code).to.equal(-32010);
    // The agent comes back through the other replica, reporting what it still runs.
    const again = await connect(spare);
    const ref = { taskId: task.taskId, epoch: run.params.epoch };
    expect((await again.request('agent.register', { agentId: 'roamer', capabilities: ['long'], capacity: 1, running: [ref] })).reattached).to.deep.equal([ref]);
    expect(await again.request('task.report', { ...ref, result: { survived: true } })).to.deep.equal({ accepted: true });
    const done = await op.request('task.get', { taskId: task.taskId });
    expect(done).to.deep.include({ state: 'COMPLETED', result: { survived: true } });
    expect(done.attempts).to.have.length(1);
    const status = await connect(spare);
    await until(async () => (await status.request('cluster.status')).nodes.length === 2, 'the dead replica to leave cluster.status');
    expect((await status.request('cluster.status')).nodes.map((n: any) => n.nodeId)).to.deep.equal(['l', 'spare']);
  });

  it('the leader killed with -9: a follower answers the call it relayed LEADER_UNAVAILABLE and closes with 1012; the client reconnects and goes on', async () => {
    const first = await replica('first');
    await first.waitForLog((l) => l.msg === 'serving as leader');
    const follower = await replica('second');
    await follower.waitForLog(follows('first'));
    const op = await connect(follower);
    const task = await op.request('pool.assign', { type: 'nobody', payload: {}, idempotencyKey: 'once', requiredCapabilities: ['none'] });
    const waiting = op.call('task.wait', { taskId: task.taskId, timeoutMs: 60_000 });
    await until(() => first.logs.some((l) => l.msg === 'connection open' && l.role === 'admin'), 'the relayed connection to open on the leader');
    first.proc.kill('SIGKILL');
    const reply = await waiting;
    expect(reply.error.code).to.equal(-32007);
    expect(reply.error.data.reason).to.include('leader changed before answering');
    expect((await op.closed).code).to.equal(1012);
    await follower.waitForLog((l) => l.msg === 'serving as leader');
    const again = await connect(follower);
    const retried = await again.request('pool.assign', { type: 'nobody', payload: {}, idempotencyKey: 'once', requiredCapabilities: ['none'] });
    expect(retried.taskId).to.equal(task.taskId);
  });
});
