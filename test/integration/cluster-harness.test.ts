import { expect } from 'chai';
import { createClient } from 'redis';
import { ClusterHarness, clusterModeBuilt } from '../support/cluster-harness.js';
import { RedisMonitor, TermAttribution } from '../support/redis-monitor.js';
import { findRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';
import { until } from '../support/settled.js';

const P = '{coordd}:';
const ELECT = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', 60000) then return redis.call('INCR', KEYS[2]) end return 0`;
const FENCED = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) return 1`;
const UNFENCED = `redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) return 1`;

describe('the cluster test harness', function () {
  this.timeout(60_000);
  const binary = findRedisServer();
  before(function () {
    if (!binary) this.skip();
  });

  describe('MONITOR attribution on a real redis-server', () => {
    let redis: RedisServer;
    const clients: ReturnType<typeof createClient>[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.destroy();
      await redis.stop();
    });
    const leader = async (): Promise<ReturnType<typeof createClient>> => {
      const c = createClient({ url: redis.url });
      await c.connect();
      clients.push(c);
      return c;
    };

    it('sees a fenced script refuse the deposed leader, and catches an unfenced one writing from a stale term', async () => {
      redis = await startRedis(binary!);
      const attribution = new TermAttribution(P);
      const monitor = await RedisMonitor.start(redis.url, (c) => attribution.add(c));
      try {
        const [a, b] = [await leader(), await leader()];
        const keys = [`${P}leader`, `${P}term`];
        expect(await a.eval(ELECT, { keys, arguments: ['a'] })).to.equal(1);
        expect(await a.eval(FENCED, { keys: [`${P}term`, `${P}tasks`], arguments: ['1', 't1', 'by a'] })).to.equal(1);
        await redis.command(['DEL', `${P}leader`]); // a's lease expired
        expect(await b.eval(ELECT, { keys, arguments: ['b'] })).to.equal(2);
        expect(await a.eval(FENCED, { keys: [`${P}term`, `${P}tasks`], arguments: ['1', 't1', 'stale, refused'] })).to.equal(0);
        await until(() => attribution.writes.length === 1, 'the first write in MONITOR');
        expect(attribution.staleWrites()).to.deep.equal([]);
        expect(await a.eval(UNFENCED, { keys: [`${P}term`, `${P}tasks`], arguments: ['1', 't1', 'stale, landed'] })).to.equal(1);
        await until(() => attribution.writes.length === 2, 'the stale write in MONITOR');
        expect(attribution.staleWrites().map((w) => [w.term, w.current, w.command])).to.deep.equal([[1, 2, 'HSET']]);
      } finally {
        monitor.stop();
      }
    });
  });

  describe('replicas (needs cluster mode in the build)', () => {
    let cluster: ClusterHarness | undefined;
    before(function () {
      if (!clusterModeBuilt()) this.skip();
    });
    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    it('starts three replicas that elect one leader, and a new one after kill -9', async () => {
      cluster = await ClusterHarness.start(binary!);
      const first = await cluster.waitForLeader();
      expect(cluster.replicas.map((r) => r.nodeId)).to.include(first.replica.nodeId);
      for (const r of cluster.replicas) expect(await cluster.readyz(r.nodeId)).to.equal(200);
      await cluster.kill(first.replica.nodeId);
      const second = await cluster.waitForLeader({ not: first.replica.nodeId, afterTerm: first.term });
      expect(second.term).to.be.greaterThan(first.term);
      expect(cluster.attribution.staleWrites()).to.deep.equal([]);
    });
  });

  it('gives each replica its cluster environment', () => {
    const env = ClusterHarness.replicaEnv('redis://127.0.0.1:6400', 'n2', 7002, { leaseSeconds: 1, nodeTtlSeconds: 1, reattachGraceSeconds: 2, prefix: P });
    expect(env).to.deep.include({ COORDD_STORE: 'redis://127.0.0.1:6400/0', COORDD_NODE_ID: 'n2', COORDD_PORT: '7002', COORDD_CLUSTER_LEASE: '1' });
  });
});
