import type { RedisServer } from '../../support/redis-server.js';

/** The environment of one replica process on the test's Redis (short lease and reattach grace). */
export function replicaEnv(redis: RedisServer, nodeId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { COORDD_STORE: redis.url, COORDD_NODE_ID: nodeId, COORDD_CLUSTER_LEASE: '1', COORDD_REATTACH_GRACE: '1', COORDD_LOG_LEVEL: 'info', ...extra };
}

export const servingAsLeader = (l: Record<string, unknown>): boolean => l.msg === 'serving as leader';
