import { expect } from 'chai';
import { once } from 'node:events';
import { AgentWorker } from '../../../src/client/index.js';
import { replicaSuite, servingAsLeader } from './replicas.js';

const FAST = { initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0 };

describe('cluster: two replica processes on a real redis-server, the leader killed with -9', function () {
  this.timeout(60_000);
  const suite = replicaSuite();
  const { replica, operator } = suite;
  const worker = async (url: string, agentId: string): Promise<AgentWorker> => {
    const w = new AgentWorker({
      url,
      agentId,
      capabilities: [],
      capacity: 4,
      reconnect: FAST,
      handler: async (task) => ({ n: (task.payload as { n: number }).n }),
    });
    suite.stopAfter(w);
    await w.start();
    return w;
  };

  it('the other replica leads within lease + a little, and every acknowledged task is there (results kept, keys dedupe)', async () => {
    const a = await replica('a');
    await a.waitForLog(servingAsLeader);
    const b = await replica('b');
    expect(a.logs.find((l) => l.msg === 'listening')).to.include({ store: suite.redis.url, nodeId: 'a' });
    await b.waitForLog((l) => l.msg === 'leader changed' && (l.leader as { nodeId?: string } | undefined)?.nodeId === 'a');
    const epoch = (await a.waitForLog((l) => l.msg === 'started a new cluster (epoch written)')).epoch;
    expect((await b.waitForLog((l) => l.msg === 'joined the cluster')).epoch).to.equal(epoch);

    await worker(a.url, 'w1');
    const op = await operator(a.url);
    const acked = new Map<string, { taskId: string; n: number; key?: string }>();
    for (let n = 1; n <= 40; n++) {
      const key = n % 2 === 0 ? `k-${n}` : undefined;
      const r = await op.assign({ type: 'job', payload: { n }, ...(key && { idempotencyKey: key }) });
      acked.set(r.taskId, { taskId: r.taskId, n, key });
    }
    const done = new Map<string, unknown>();
    for (const { taskId } of [...acked.values()].slice(0, 10)) done.set(taskId, (await op.waitTask(taskId, 10_000)).result);
    // A few more in flight while the leader dies.
    for (let n = 41; n <= 60; n++) {
      const r = await op.assign({ type: 'job', payload: { n }, idempotencyKey: `k-${n}` });
      acked.set(r.taskId, { taskId: r.taskId, n, key: `k-${n}` });
    }

    const killedAt = Date.now();
    const gone = once(a.proc, 'exit');
    a.proc.kill('SIGKILL');
    await gone;
    await b.waitForLog(servingAsLeader);
    const failoverMs = Date.now() - killedAt;
    console.log(`      failover: leader kill -9 -> new leader serving in ${failoverMs} ms (lease 1000 ms)`);
    expect(failoverMs).to.be.lessThan(1000 + 2000);
    const rebuilt = b.logs.find((l) => l.msg === 'leader core rebuilt from Redis')!;
    expect(rebuilt.term).to.equal(2);

    await worker(b.url, 'w2');
    const op2 = await operator(b.url);
    for (const { taskId, n } of acked.values()) {
      const t = await op2.waitTask(taskId, 20_000);
      expect(t.state, taskId).to.equal('COMPLETED');
      expect(t.result).to.deep.equal({ n });
    }
    for (const [taskId, result] of done) expect((await op2.getTask(taskId)).result).to.deep.equal(result);
    for (const { taskId, key } of acked.values()) {
      if (!key) continue;
      const again = await op2.assign({ type: 'job', payload: { n: -1 }, idempotencyKey: key });
      expect(again).to.include({ taskId, deduplicated: true });
    }
    const status = (await op2.request('pool.status', {})) as { store?: { name: string } };
    expect(status.store?.name).to.equal(suite.redis.url);
    // SIGTERM on the leader: a clean stop (exit 0) that frees the lease.
    await op2.close();
    expect(await b.stop()).to.equal(0);
    expect(await suite.redis.command(['EXISTS', '{coordd}:leader'])).to.equal(0);
  });
});
