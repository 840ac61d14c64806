import { createClient } from 'redis';

/** The node-redis client coordd uses (commands, scripts, pipelining). */
export type RedisConnection = ReturnType<typeof createClient>;

/** A redis:// or rediss:// URL with any password (or user:password) replaced by `***`, for logs and pool.status. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username) u.username = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * A client for COORDD_STORE=redis://… Commands issued while disconnected fail at once instead of
 * waiting in an offline queue: a commit must never land after a later one was refused.
 */
export function createRedisConnection(url: string, onError: (err: Error) => void): RedisConnection {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 2000 },
  });
  client.on('error', onError);
  return client;
}
