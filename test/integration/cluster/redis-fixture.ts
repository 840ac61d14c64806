import pino from 'pino';
import { clusterKeys, type ClusterKeys } from '../../../src/cluster/cluster-keys.js';
import { createRedisConnection, type RedisConnection } from '../../../src/cluster/redis-connection.js';
import { findRedisServer, startRedis, type RedisServer } from '../../support/redis-server.js';

/**
 * One private redis-server for a test file (skipped, said once, when there is none outside CI),
 * clients that the file's afterEach closes, and a fresh key prefix per call.
 */
export function redisFixture(suite: Mocha.Suite) {
  const binary = findRedisServer();
  const state = { server: undefined as RedisServer | undefined, clients: [] as RedisConnection[], kept: [] as RedisConnection[], n: 0 };
  suite.beforeAll(async function () {
    if (!binary) this.skip();
    state.server = await startRedis(binary);
  });
  suite.afterEach(async () => {
    for (const c of state.clients.splice(0)) if (c.isOpen) c.destroy();
  });
  suite.afterAll(async () => {
    for (const c of state.kept.splice(0)) if (c.isOpen) c.destroy();
    await state.server?.stop();
  });
  return {
    get server(): RedisServer {
      return state.server!;
    },
    /** A connected client, closed after the test (or, with `keep`, after the file). */
    async client(opts: { keep?: boolean } = {}): Promise<RedisConnection> {
      const c = createRedisConnection(state.server!.url, () => undefined);
      (opts.keep ? state.kept : state.clients).push(c);
      await c.connect();
      return c;
    },
    keys(): ClusterKeys {
      return clusterKeys(`{t${++state.n}}:`);
    },
  };
}

/** Logs nothing, the listening line (written whatever the level) included. */
export const quietLogger = pino({ level: 'silent' }, { write: () => undefined });
