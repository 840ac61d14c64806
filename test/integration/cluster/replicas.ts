import { CoordClient } from '../../../src/client/index.js';
import { startDaemon, type DaemonProcess } from '../../support/daemon-process.js';
import { findRedisServer, startRedis, type RedisServer } from '../../support/redis-server.js';
import { TestClient } from '../../support/ws-client.js';

/** The environment of one replica process on the test's Redis (short lease and reattach grace). */
export function replicaEnv(redis: RedisServer, nodeId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { COORDD_STORE: redis.url, COORDD_NODE_ID: nodeId, COORDD_CLUSTER_LEASE: '1', COORDD_REATTACH_GRACE: '1', COORDD_LOG_LEVEL: 'info', ...extra };
}

export const servingAsLeader = (l: Record<string, unknown>): boolean => l.msg === 'serving as leader';

export interface ReplicaSuite {
  /** The redis-server binary (the block is skipped without one). */
  readonly binary: string | undefined;
  /** This test's private redis-server (a test that replaces it assigns the new one here). */
  redis: RedisServer;
  /** A replica process on `redis` (this test's by default), stopped after the test. */
  replica(nodeId: string, redis?: RedisServer): Promise<DaemonProcess>;
  /** An operator client (no reconnect), closed after the test. */
  operator(url: string): Promise<CoordClient>;
  /** A raw JSON-RPC client, closed after the test. */
  testClient(d: DaemonProcess): Promise<TestClient>;
  /** Stop `it` (an AgentWorker…) after the test, before the replicas stop. */
  stopAfter<T extends { stop(): Promise<unknown> }>(it: T): T;
}

/**
 * Mocha hooks for a describe block of replica processes: a private redis-server for each test,
 * and the replicas and clients a test started stopped after it. `env` gives a replica's environment.
 */
export function replicaSuite(env: (redis: RedisServer, nodeId: string) => Record<string, string> = replicaEnv): ReplicaSuite {
  const binary = findRedisServer();
  const replicas: DaemonProcess[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  const suite: ReplicaSuite = {
    binary,
    redis: undefined as unknown as RedisServer,
    async replica(nodeId, redis = suite.redis) {
      const d = await startDaemon(env(redis, nodeId));
      replicas.push(d);
      return d;
    },
    async operator(url) {
      const op = await CoordClient.connect({ url, reconnect: false });
      stops.push(() => op.close());
      return op;
    },
    async testClient(d) {
      const c = await TestClient.connect(d.url);
      stops.push(() => c.close());
      return c;
    },
    stopAfter(it) {
      stops.push(() => it.stop());
      return it;
    },
  };
  before(function () {
    if (!binary) this.skip();
  });
  beforeEach(async () => {
    suite.redis = await startRedis(binary!);
  });
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop().catch(() => undefined)));
    await Promise.all(replicas.splice(0).map((r) => r.stop()));
    await suite.redis?.stop();
  });
  return suite;
}
