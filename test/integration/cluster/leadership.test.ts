import { expect } from 'chai';
import { Leadership, type LeadershipEvents } from '../../../src/cluster/leadership.js';
import type { RedisConnection } from '../../../src/cluster/redis-connection.js';
import { RedisStores } from '../../../src/cluster/redis-stores.js';
import { StoreError } from '../../../src/stores/store-error.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { until } from '../../support/settled.js';
import { makeTask } from '../../unit/pool/task-store-conformance.js';
import { quietLogger, redisFixture } from './redis-fixture.js';

const LEASE_MS = 300;

describe('cluster/Leadership on a real redis-server', function () {
  this.timeout(20_000);
  const redis = redisFixture(this);

  /** A replica's leadership on a VirtualClock (the test ticks it), recording its events. */
  async function replica(nodeId: string, keys = redis.keys(), client?: RedisConnection) {
    const events: string[] = [];
    const on: Partial<LeadershipEvents> = {
      elected: (term) => events.push(`elected ${term}`),
      deposed: (reason, leader) => events.push(`deposed (${reason}) ${leader?.nodeId ?? '-'}`),
      leaderChanged: (leader) => events.push(`leader ${leader ? `${leader.nodeId}@${leader.term}` : '-'}`),
      stateLost: (expected, found) => events.push(`lost ${expected === found} ${found ?? '-'}`),
    };
    const leadership = new Leadership(
      { redis: client ?? (await redis.client()), clock: new VirtualClock(), logger: quietLogger, keys, events: on },
      { nodeId, leaseMs: LEASE_MS },
    );
    await leadership.start();
    return { leadership, events, keys };
  }

  it('the first replica takes the lease with term 1; the second follows it; renewal keeps the lease', async () => {
    const a = await replica('a');
    const b = await replica('b', a.keys);
    expect(a.leadership.term).to.equal(1);
    expect(a.events).to.deep.equal(['leader a@1', 'elected 1']);
    expect(b.leadership.isLeader).to.equal(false);
    expect(b.events).to.deep.equal(['leader a@1']);
    expect(b.leadership.epoch).to.equal(a.leadership.epoch);
    // Renewing past the original TTL keeps it.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, LEASE_MS / 3));
      await a.leadership.tick();
      await b.leadership.tick();
    }
    expect(a.leadership.term).to.equal(1);
    expect(b.leadership.isLeader).to.equal(false);
  });

  it('a leader that stops renewing loses the lease: another is elected with a higher term and the old one is deposed', async () => {
    const a = await replica('a');
    const b = await replica('b', a.keys);
    const client = await redis.client();
    await until(async () => (await client.exists(a.keys.leader)) === 0, 'the lease to expire', 5000, 20);
    await b.leadership.tick();
    expect(b.leadership.term).to.equal(2);
    await a.leadership.tick();
    expect(a.leadership.isLeader).to.equal(false);
    expect(a.events.slice(-2)).to.deep.equal(['leader b@2', 'deposed (lease lost) b']);
  });

  it('fences the commit: the deposed leader’s term is refused, the new leader’s lands', async () => {
    const a = await replica('a');
    const b = await replica('b', a.keys);
    const client = await redis.client();
    const stores = async (term: number, r: RedisConnection) =>
      RedisStores.load({ redis: r, keys: a.keys, clock: new VirtualClock(), term, epoch: a.leadership.epoch!, description: 'redis://test' });
    const old = await stores(1, client);
    old.tasks.insert(makeTask({ taskId: 'before' }));
    await old.commit();
    await until(async () => (await client.exists(a.keys.leader)) === 0, 'the lease to expire', 5000, 20);
    await b.leadership.tick();
    expect(b.leadership.term).to.equal(2);
    // a has not noticed yet (no tick): its next commit must not land.
    const failures: StoreError[] = [];
    old.onFailure((e) => failures.push(e));
    old.tasks.insert(makeTask({ taskId: 'stale' }));
    const refused = await old.commit().then(
      () => undefined,
      (e: unknown) => e as StoreError,
    );
    expect(refused).to.be.instanceOf(StoreError);
    expect(refused!.code).to.equal('FENCED');
    expect(failures.map((f) => f.code)).to.deep.equal(['FENCED']);
    // Every later commit is refused too, without reaching Redis.
    old.tasks.insert(makeTask({ taskId: 'later' }));
    expect(
      await old.commit().then(
        () => 'ok',
        (e: StoreError) => e.code,
      ),
    ).to.equal('FENCED');
    expect(await client.hExists(a.keys.tasks, 'stale')).to.equal(0);
    const fresh = await stores(2, client);
    expect(fresh.tasks.get('before')?.taskId).to.equal('before');
    fresh.tasks.insert(makeTask({ taskId: 'new' }));
    await fresh.commit();
    expect(await client.hExists(a.keys.tasks, 'new')).to.equal(1);
  });

  it('stepDown() frees the lease at once, so another replica is elected without waiting for it to expire', async () => {
    const a = await replica('a');
    const b = await replica('b', a.keys);
    a.leadership.stepDown('commit refused');
    expect(a.events.at(-1)).to.equal('deposed (commit refused) -');
    await until(async () => (await b.leadership.tick(), b.leadership.isLeader), 'b to be elected', 2000, 10);
    expect(b.leadership.term).to.equal(2);
  });

  it('a Redis that lost its data (epoch missing or different) stops every replica, leader included, and refuses commits', async () => {
    const a = await replica('a');
    const b = await replica('b', a.keys);
    const client = await redis.client();
    const stores = await RedisStores.load({
      redis: client,
      keys: a.keys,
      clock: new VirtualClock(),
      term: 1,
      epoch: a.leadership.epoch!,
      description: 'redis://test',
    });
    await client.del([a.keys.epoch, a.keys.leader, a.keys.term]);
    await a.leadership.tick();
    await b.leadership.tick();
    expect(a.events.slice(-3)).to.deep.equal(['leader -', 'deposed (cluster state lost) -', 'lost false -']);
    expect(b.events.slice(-2)).to.deep.equal(['leader -', 'lost false -']);
    expect(b.leadership.stateLost).to.deep.equal({ expectedEpoch: a.leadership.epoch, foundEpoch: undefined });
    // A later replica starting on the empty Redis writes a new epoch: the old ones still refuse (different).
    const c = await replica('c', a.keys);
    expect(c.leadership.term).to.equal(1);
    stores.tasks.insert(makeTask());
    const error = await stores.commit().then(
      () => undefined,
      (e: StoreError) => e,
    );
    expect(error?.code).to.equal('STATE_LOST');
    expect(error?.details).to.deep.equal({ expectedEpoch: a.leadership.epoch, foundEpoch: c.leadership.epoch });
  });

  it('a leader that cannot reach Redis steps down before its lease could expire', async () => {
    const keys = redis.keys();
    const client = await redis.client();
    const clock = new VirtualClock();
    const events: string[] = [];
    const leadership = new Leadership(
      { redis: client, clock, logger: quietLogger, keys, events: { deposed: (reason) => events.push(reason) } },
      { nodeId: 'a', leaseMs: LEASE_MS },
    );
    await leadership.start();
    expect(leadership.isLeader).to.equal(true);
    client.destroy();
    await leadership.tick();
    expect(leadership.isLeader).to.equal(true);
    clock.advance(LEASE_MS);
    await leadership.tick();
    expect(leadership.isLeader).to.equal(false);
    expect(events).to.deep.equal(['renewal failed']);
  });
});
