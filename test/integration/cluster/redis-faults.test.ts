import { expect } from 'chai';
import { CoordClient } from '../../../src/client/index.js';
import type { DaemonProcess } from '../../support/daemon-process.js';
import { freePort, startRedis, type RedisServer } from '../../support/redis-server.js';
import { until } from '../../support/settled.js';
import { replicaSuite, servingAsLeader } from './replicas.js';

const readyz = async (d: DaemonProcess): Promise<number> => (await fetch(`${d.httpUrl}/readyz`)).status;

describe('cluster: Redis faults under real replica processes', function () {
  this.timeout(60_000);
  const suite = replicaSuite();
  const { replica, testClient } = suite;
  const operator = (d: DaemonProcess): Promise<CoordClient> => suite.operator(d.url);
  /** Replica a, leading, and replica b, following it. */
  const leaderAndFollower = async (): Promise<{ a: DaemonProcess; b: DaemonProcess }> => {
    const a = await replica('a');
    await a.waitForLog(servingAsLeader);
    const b = await replica('b');
    await b.waitForLog((l) => l.msg === 'leader changed');
    return { a, b };
  };

  it('a follower relays its connections to the leader and is ready, as the leader is', async () => {
    const { a, b } = await leaderAndFollower();
    expect(await readyz(a)).to.equal(200);
    expect(await readyz(b)).to.equal(200);
    const c = await testClient(b);
    expect((await c.request('session.info')).role).to.equal('admin');
    // The leader serves it on a virtual transport named after b's gateway.
    await a.waitForLog((l) => l.msg === 'connection open' && String(l.remoteAddress).startsWith('relay:b.'));
  });

  it('Redis restarted empty: every replica refuses with CLUSTER_STATE_LOST, says why once, and /readyz is 503', async () => {
    const { a, b } = await leaderAndFollower();
    const op = await operator(a);
    const { taskId } = await op.assign({ type: 'job' });
    const epoch = (await suite.redis.command(['GET', '{coordd}:epoch'])) as string;
    await suite.redis.restart({ empty: true });
    for (const d of [a, b]) {
      const line = await d.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Redis lost the cluster state'));
      expect(line).to.include({ expectedEpoch: epoch, foundEpoch: null });
      await until(async () => (await readyz(d)) === 503, `${d.url} not ready`);
      const c = await testClient(d);
      const reply = await c.call('pool.getTask', { taskId });
      expect(reply.error).to.deep.include({ code: -32008 });
      expect(reply.error.data).to.deep.equal({ expectedEpoch: epoch, foundEpoch: null });
      const batch = await (c.send([
        { jsonrpc: '2.0', id: 1, method: 'pool.status' },
        { jsonrpc: '2.0', method: 'x' },
      ]),
      c.next());
      expect(batch.map((r: { error: { code: number } }) => r.error.code)).to.deep.equal([-32008]);
    }
    // Nothing was started from nothing: no replica took the lease or wrote an epoch.
    expect(await suite.redis.command(['EXISTS', '{coordd}:epoch', '{coordd}:leader', '{coordd}:term'])).to.equal(0);
    expect(a.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Redis lost')).length).to.equal(1);
  });

  it('Redis killed -9 and restarted from its AOF: the leader steps down, the cluster serves again, nothing acknowledged is lost', async () => {
    const { a, b } = await leaderAndFollower();
    const op = await operator(a);
    const acked: string[] = [];
    for (let n = 0; n < 30; n++) acked.push((await op.assign({ type: 'job', payload: { n }, idempotencyKey: `k${n}` })).taskId);
    await suite.redis.kill();
    // A call while Redis is down is never acknowledged as done.
    const during = await op.assign({ type: 'job', idempotencyKey: 'during' }).then(
      (r) => ({ taskId: r.taskId }),
      (err: { code?: number | string }) => ({ code: err.code }),
    );
    await a.waitForLog((l) => l.msg === 'leader core discarded: connections closed with 1012; following');
    await suite.redis.restart();
    const leaders = () => [a, b].filter((d) => d.logs.filter(servingAsLeader).length + (d === a ? -1 : 0) > 0);
    await until(() => leaders().length > 0, 'a leader again after the restart', 20_000);
    const leader = leaders()[0]!;
    expect(await suite.redis.command(['GET', '{coordd}:term'])).to.equal('2');
    const op2 = await operator(leader);
    for (const [n, taskId] of acked.entries()) {
      const t = await op2.getTask(taskId);
      expect(t.payload).to.deep.equal({ n });
      expect((await op2.assign({ type: 'job', idempotencyKey: `k${n}` })).taskId).to.equal(taskId);
    }
    // Answered with an error before the 1012 close: never acknowledged.
    expect(during).to.deep.equal({ code: -32006 });
  });

  it('a leader paused (SIGSTOP) past its lease answers nothing from its old term after SIGCONT: LEADER_UNAVAILABLE, 1012, no write lands', async () => {
    const { a, b } = await leaderAndFollower();
    const c = await testClient(a);
    await c.request('pool.assign', { type: 'job', idempotencyKey: 'before' });
    a.proc.kill('SIGSTOP');
    try {
      // Sent while a is paused: a reads it only after SIGCONT, when b already leads.
      const reply = c.call('pool.assign', { type: 'job', idempotencyKey: 'paused' });
      await b.waitForLog(servingAsLeader);
      a.proc.kill('SIGCONT');
      expect((await reply).error.code).to.equal(-32007);
    } finally {
      a.proc.kill('SIGCONT');
    }
    expect((await c.closed).code).to.equal(1012);
    const op = await operator(b);
    expect((await op.listTasks({})).tasks.map((t) => t.idempotencyKey)).to.deep.equal(['before']);
    expect(a.logs.some((l) => l.msg === 'stepping down as leader' || l.msg === 'lost the leader lease')).to.equal(true);
  });

  it('a replica started before Redis listens at once (not ready), then joins and leads once Redis is up; SIGTERM exits 0 either way', async () => {
    await suite.redis.stop();
    const port = await freePort();
    const early = await replica('early', { url: `redis://127.0.0.1:${port}` } as RedisServer);
    expect(await readyz(early)).to.equal(503);
    await early.waitForLog((l) => l.msg === 'Redis connection error (logged once; reconnecting)');
    suite.redis = await startRedis(suite.binary!, { port });
    await early.waitForLog(servingAsLeader);
    expect(await readyz(early)).to.equal(200);
    expect(await early.stop()).to.equal(0);
  });
});
