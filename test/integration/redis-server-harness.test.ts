import { expect } from 'chai';
import { findRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';

describe('the redis-server test harness', function () {
  this.timeout(20_000);
  const binary = findRedisServer();
  let redis: RedisServer | undefined;

  before(function () {
    if (!binary) this.skip();
  });
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('starts a private server with AOF on that keeps acknowledged writes across kill -9', async () => {
    redis = await startRedis(binary!);
    expect(await redis.command(['CONFIG', 'GET', 'appendonly'])).to.deep.equal(['appendonly', 'yes']);
    await redis.command(['SET', 'k', 'v']);
    await redis.restart();
    expect(await redis.command(['GET', 'k'])).to.equal('v');
  });

  it('restarts empty when asked (a Redis that lost its data)', async () => {
    redis = await startRedis(binary!);
    await redis.command(['SET', 'k', 'v']);
    await redis.restart({ empty: true });
    expect(await redis.command(['GET', 'k'])).to.equal(null);
  });
});
