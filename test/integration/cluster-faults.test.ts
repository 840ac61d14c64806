import { expect } from 'chai';
import { CoordClient, RpcError } from '../../src/client/index.js';
import { seededRandom } from '../../src/random.js';
import { ClusterHarness, clusterModeBuilt } from '../support/cluster-harness.js';
import { ClusterHistory } from '../support/cluster-history.js';
import { settleTasks, TaskLoad } from '../support/cluster-workload.js';
import { findRedisServer } from '../support/redis-server.js';
import { until } from '../support/settled.js';

const RECONNECT = { initialDelayMs: 50, maxDelayMs: 500, factor: 2, jitter: 0.2 };

/**
 * Issue 12's faults, each on real processes: a private redis-server (AOF, appendfsync always), three
 * replicas with a 1 s lease, agents and an operator that know every replica's URL, a steady load
 * with idempotency keys. Every test ends with the Jepsen-style checker over the whole run: each
 * acknowledged task exists and completed, at most one accepted completion per task, epochs and
 * fencing tokens only rise, and no state write of a stale term landed (Redis MONITOR attributes
 * each write a script ran to its caller's term).
 */
describe('cluster faults (real replicas, real redis-server)', function () {
  this.timeout(180_000);
  const binary = findRedisServer();
  let cluster: ClusterHarness | undefined;
  let load: TaskLoad | undefined;
  let history: ClusterHistory;

  before(function () {
    if (!binary || !clusterModeBuilt()) this.skip();
  });
  beforeEach(() => {
    history = new ClusterHistory();
  });
  afterEach(async () => {
    await load?.stop();
    load = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  /** A cluster under a steady load, observed into the history; `urls` picks the clients' URL list once a leader is known. */
  async function start(opts: { taskMs?: number; agents?: number; urls?: (c: ClusterHarness, leaderId: string) => string[] } = {}): Promise<ClusterHarness> {
    cluster = await ClusterHarness.start(binary!, {
      leaseSeconds: 1,
      nodeTtlSeconds: 1,
      reattachGraceSeconds: 2,
      env: { COORDD_LOG_LEVEL: 'warn', COORDD_TASK_RETENTION_COUNT: '1000000', COORDD_TASK_RETENTION: '86400' },
    });
    cluster.observe(history);
    const { replica } = await cluster.waitForLeader();
    load = new TaskLoad({
      urls: opts.urls?.(cluster, replica.nodeId) ?? cluster.urls,
      agents: opts.agents ?? 4,
      capacity: 2,
      operators: 2,
      window: 6,
      idempotent: true,
      history,
      taskMs: opts.taskMs ?? 20,
      keepaliveMs: 1000, // a frozen replica is noticed within two seconds
      connectTimeoutMs: 1500,
      requestTimeoutMs: 10_000,
    });
    await load.start();
    load.run();
    await progress(10);
    return cluster;
  }

  /** Wait until `n` more tasks ran. */
  async function progress(n: number, what = `${n} more tasks to run`): Promise<void> {
    const target = load!.runs + n;
    await until(() => load!.runs >= target, what, 60_000);
  }

  /** Stop the load, let every acknowledged task finish, and run the checker over the whole run. */
  async function check(): Promise<void> {
    load!.pause();
    const op = await CoordClient.connect({ url: cluster!.urls, reconnect: RECONNECT, requestTimeoutMs: 20_000 });
    try {
      const { lost, notCompleted } = await settleTasks(op, [...load!.sentAt.keys()], history, 60_000);
      cluster!.recordWrites(history);
      expect(lost, 'acknowledged tasks missing at the end').to.deep.equal([]);
      expect(notCompleted, 'acknowledged tasks not completed').to.deep.equal([]);
      expect(cluster!.attribution.writes.length, 'MONITOR attributed state writes to terms (the stale-write check is not vacuous)').to.be.greaterThan(0);
      expect(cluster!.attribution.staleWrites()).to.deep.equal([]);
      history.assertValid();
      expect(history.summary().acked).to.be.greaterThan(10);
    } finally {
      await op.close();
    }
  }

  it('kill -9 the leader: another replica takes over with a higher term, nothing is lost or done twice', async () => {
    const c = await start();
    const { replica, term } = await c.waitForLeader();
    await c.kill(replica.nodeId);
    const next = await c.waitForLeader({ not: replica.nodeId, afterTerm: term });
    expect(next.term).to.be.greaterThan(term);
    await progress(20, 'tasks to run under the new leader');
    await check();
  });

  it('SIGSTOP the leader past its lease, then SIGCONT: it finds itself deposed, steps down, and none of its writes lands', async () => {
    const c = await start();
    const { replica, term } = await c.waitForLeader();
    c.pause(replica.nodeId);
    const next = await c.waitForLeader({ not: replica.nodeId, afterTerm: term });
    await progress(10, 'tasks to run while the old leader is frozen');
    c.resume(replica.nodeId);
    // Awake again it is a follower: its metrics say so, it still serves (as a gateway), it is not the leader.
    await until(
      async () => {
        const text = await fetch(`${replica.httpUrl}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        return /^coordd_cluster_leader 0$/m.test(text);
      },
      'the resumed replica to report coordd_cluster_leader 0',
      30_000,
    );
    expect((await c.leader()).leaderId).to.equal(next.replica.nodeId);
    expect(replica.daemon?.proc.exitCode).to.equal(null);
    await until(async () => (await c.readyz(replica.nodeId)) === 200, 'the deposed replica to serve as a gateway', 30_000);
    await progress(10, 'tasks to run after the old leader woke up');
    await check();
  });

  it('kill a gateway with agents on it: they reconnect to another replica; their tasks complete (reattached or re-run after the grace)', async () => {
    let gateway = '';
    const c = await start({
      taskMs: 300,
      agents: 3,
      // every agent and the operators start on one follower
      urls: (h, leaderId) => {
        gateway = h.replicas.find((r) => r.nodeId !== leaderId)!.nodeId;
        return [h.replica(gateway).url, ...h.urls.filter((u) => u !== h.replica(gateway).url)];
      },
    });
    expect((await c.leader()).leaderId).to.not.equal(gateway);
    await c.kill(gateway);
    await progress(20, 'tasks to run after the gateway died');
    await check();
  });

  it('kill redis-server and restart it from its AOF: the cluster carries on with everything it acknowledged', async () => {
    const c = await start();
    const before = load!.acked;
    await c.killRedis();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the lease: replicas see Redis gone
    await c.restartRedis();
    await c.waitForLeader({ timeoutMs: 60_000 });
    await until(() => load!.acked > before + 10, 'assigns acknowledged after Redis came back', 60_000);
    await progress(10, 'tasks to run after Redis came back');
    await check();
  });

  it('restart redis-server empty: every replica refuses to serve (readyz 503, CLUSTER_STATE_LOST) rather than start from nothing', async () => {
    const c = await start();
    load!.pause();
    // The checker over what happened before the loss: all of it was fine.
    const op = await CoordClient.connect({ url: c.urls, reconnect: RECONNECT });
    const { lost } = await settleTasks(op, [...load!.sentAt.keys()], history, 30_000);
    await op.close();
    expect(lost).to.deep.equal([]);
    history.assertValid();
    await load!.stop();
    load = undefined;

    await c.restartRedis({ empty: true });
    for (const r of c.replicas) {
      await until(
        async () => {
          c.assertNoneCrashed();
          return (await c.readyz(r.nodeId)) === 503;
        },
        `${r.nodeId} /readyz 503`,
        30_000,
      );
    }
    for (const r of c.replicas) {
      const client = await CoordClient.connect({ url: r.url, reconnect: false });
      try {
        const error = await client.request('pool.status').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, r.nodeId).to.be.instanceOf(RpcError);
        expect((error as RpcError).code, r.nodeId).to.equal(-32008);
      } finally {
        await client.close();
      }
    }
    // Nobody elected itself from nothing.
    expect((await c.leader()).leaderId).to.equal(undefined);
  });

  for (const seed of [7, 12]) {
    it(`a seeded random mix of faults (seed ${seed})`, async () => {
      const rng = seededRandom(seed);
      const c = await start();
      const steps: number[] = [];
      for (let step = 0; step < 4; step++) {
        const { replica, term } = await c.waitForLeader({ timeoutMs: 60_000 });
        const others = c.replicas.filter((r) => r.nodeId !== replica.nodeId && r.daemon);
        const fault = Math.floor(rng.next() * 4);
        if (fault === 0) {
          await c.kill(replica.nodeId);
          await c.waitForLeader({ not: replica.nodeId, afterTerm: term });
          await c.startReplica(replica.nodeId, { COORDD_LOG_LEVEL: 'warn' });
        } else if (fault === 1 && others.length > 0) {
          const victim = others[Math.floor(rng.next() * others.length)]!;
          await c.kill(victim.nodeId);
          await progress(5);
          await c.startReplica(victim.nodeId, { COORDD_LOG_LEVEL: 'warn' });
        } else if (fault === 2) {
          c.pause(replica.nodeId);
          await c.waitForLeader({ not: replica.nodeId, afterTerm: term });
          c.resume(replica.nodeId);
        } else {
          await c.killRedis();
          await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(rng.next() * 1000)));
          await c.restartRedis();
        }
        steps.push(fault);
        await progress(8, `tasks to run after fault ${fault} (step ${step}; faults so far ${steps.join(', ')})`);
      }
      await check().catch((error: unknown) => {
        throw new Error(`after faults ${steps.join(', ')} (0 kill leader, 1 kill follower, 2 pause leader, 3 restart Redis): ${String(error)}`);
      });
    });
  }
});
