import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis-connection.js';

/** A Lua script run by EVALSHA, sent whole (EVAL, which also caches it) only when Redis does not know it yet. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisConnection, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (err) {
      // A Redis restarted (or flushed) forgets its scripts.
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, { keys, arguments: args });
    }
  }
}
