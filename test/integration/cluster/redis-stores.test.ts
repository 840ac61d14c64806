import { expect } from 'chai';
import type { ClusterKeys } from '../../../src/cluster/cluster-keys.js';
import type { RedisConnection } from '../../../src/cluster/redis-connection.js';
import { RedisStores } from '../../../src/cluster/redis-stores.js';
import type { LeaseStore, WaiterOutcome } from '../../../src/resources/lease-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { conversationRecordStoreConformance } from '../../unit/conversations/conversation-record-store-conformance.js';
import { scalingStoreConformance } from '../../unit/pool/scaling/scaling-store-conformance.js';
import { makeTask, taskStoreConformance } from '../../unit/pool/task-store-conformance.js';
import { leaseStoreConformance, makeLease } from '../../unit/resources/lease-store-conformance.js';
import { redisFixture } from './redis-fixture.js';

const TASK_OPTIONS = { retentionMs: 60_000, retentionCount: 5 };
const EPOCH = 'test-epoch';

/**
 * The store conformance suites on cluster mode's stores, with a round trip on top: after every
 * test the journal is committed through the fenced script to a real redis-server, fresh stores
 * are loaded from Redis, and they must read exactly as the leader's memory does.
 */
describe('cluster/RedisStores on a real redis-server', function () {
  this.timeout(20_000);
  const redis = redisFixture(this);
  let client: RedisConnection;
  let made: { stores: RedisStores; keys: ClusterKeys; clock: VirtualClock; outcomes: WaiterOutcome[] } | undefined;

  before(async () => {
    client = await redis.client({ keep: true });
  });
  beforeEach(() => {
    made = undefined;
  });

  function make(clock = new VirtualClock(), options: ConstructorParameters<typeof RedisStores>[1] = {}): RedisStores {
    const keys = redis.keys();
    const stores = new RedisStores({ redis: client, keys, clock, term: 1, epoch: EPOCH, description: 'redis://test' }, options);
    made = { stores, keys, clock, outcomes: [] };
    return stores;
  }

  /** Commit what the test left, load fresh stores from Redis, and compare every read. */
  afterEach(async function () {
    if (!made || this.currentTest?.state !== 'passed') return;
    const { stores, keys, clock, outcomes } = made;
    await client.mSet([
      [keys.term, '1'],
      [keys.epoch, EPOCH],
    ]);
    await stores.commit();
    const fresh = await RedisStores.load({ redis: client, keys, clock, term: 1, epoch: EPOCH, description: 'redis://test' }, stores.options);
    const all = { limit: 1_000_000 };
    // As JSON: a field set to undefined in memory is absent in Redis, and on the wire.
    const json = (v: unknown): unknown => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
    expect(fresh.tasks.list({}, all), 'task.list').to.deep.equal(json(stores.tasks.list({}, all)));
    expect(fresh.tasks.countByState()).to.deep.equal(stores.tasks.countByState());
    expect(fresh.tasks.unfinished()).to.deep.equal(json(stores.tasks.unfinished()));
    for (const t of stores.tasks.list({}, all).tasks) {
      if (t.idempotencyKey !== undefined)
        expect(fresh.tasks.findByIdempotencyKey(t.idempotencyKey)).to.deep.equal(json(stores.tasks.findByIdempotencyKey(t.idempotencyKey)));
    }
    expect(await client.hLen(keys.tasks), 'no evicted task left in Redis').to.equal(stores.tasks.size());
    expect(fresh.leases.leases(0)).to.deep.equal(json(stores.leases.leases(0)));
    expect(fresh.leases.fencingHighWater()).to.equal(stores.leases.fencingHighWater());
    for (const o of outcomes) expect(fresh.leases.outcome(o.key, o.at), o.key).to.deep.equal(json(stores.leases.outcome(o.key, o.at)));
    expect(fresh.conversations.all()).to.deep.equal(json(stores.conversations.all()));
    expect(fresh.scaling.policy()).to.deep.equal(json(stores.scaling.policy()));
    expect(fresh.scaling.spawnCounts()).to.deep.equal(stores.scaling.spawnCounts());
  });

  taskStoreConformance('RedisTaskStore (round trip through Redis after each test)', (clock) => make(clock, { tasks: TASK_OPTIONS }).tasks, TASK_OPTIONS);
  leaseStoreConformance('RedisLeaseStore (round trip through Redis after each test)', (options) =>
    recordingOutcomes(make(new VirtualClock(), { leases: options }).leases),
  );
  conversationRecordStoreConformance(
    'RedisConversationStore (round trip through Redis after each test)',
    (options) => make(new VirtualClock(), { conversations: options }).conversations,
  );
  scalingStoreConformance('RedisScalingStore (round trip through Redis after each test)', () => make().scaling);

  /** The lease store, noting every saved outcome so the round trip can compare them. */
  function recordingOutcomes(store: LeaseStore): LeaseStore {
    const outcomes = made!.outcomes;
    return new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key === 'saveOutcome') return (o: WaiterOutcome) => (outcomes.push(o), target.saveOutcome(o));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('commits a turn in one script call; rebuilds a big store in insertion order with retention evictions deleted', async () => {
    const clock = new VirtualClock();
    const stores = make(clock, { tasks: { retentionMs: 60_000, retentionCount: 100 } });
    await client.mSet([
      [made!.keys.term, '1'],
      [made!.keys.epoch, EPOCH],
    ]);
    const calls = async (): Promise<Record<string, number>> =>
      Object.fromEntries([...(await client.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    stores.scaling.setSpawnCount('echo', 1);
    await stores.commit(); // Redis now knows the script: the measured commit is one EVALSHA.
    const before = await calls();
    for (let i = 0; i < 500; i++) {
      const task = makeTask({ taskId: `big-${i}`, idempotencyKey: `key-${i}` });
      stores.tasks.insert(task);
      if (i % 2 === 0) stores.tasks.update({ ...task, state: 'COMPLETED', result: { i } });
    }
    stores.leases.saveLease(makeLease({ fencingToken: 77 }));
    await stores.commit();
    const after = await calls();
    const delta = Object.fromEntries(
      Object.entries(after)
        .map(([c, n]) => [c, n - (before[c] ?? 0)])
        .filter(([, n]) => n !== 0),
    );
    // One round trip (EVALSHA); inside it the fence (2 GET), HSETs of at most 200 fields (350 tasks
    // kept: 2, the lease, the fencing mark) and one HDEL (the 150 finished tasks retention evicted) — plus the INFO that measured it.
    expect(delta).to.deep.equal({ evalsha: 1, get: 2, hset: 4, hdel: 1, info: 1 });
    expect(stores.tasks.countByState().COMPLETED).to.equal(100);
    expect(await client.hLen(made!.keys.tasks)).to.equal(350);
    expect(await client.hGet(made!.keys.meta, 'fencing')).to.equal('77');
  });

  it('group-commits: turns ending while a commit is in flight go together in the next one, in order', async () => {
    const stores = make();
    await client.mSet([
      [made!.keys.term, '1'],
      [made!.keys.epoch, EPOCH],
    ]);
    const task = makeTask({ taskId: 'g' });
    stores.tasks.insert(task);
    const first = stores.commit();
    // Let that commit start (its script call in flight) before the next turn ends.
    for (let i = 0; i < 5; i++) await null;
    stores.tasks.update({ ...task, state: 'IN_PROGRESS', agentId: 'a1', epoch: 1 });
    const second = stores.commit();
    stores.tasks.update({ ...task, state: 'COMPLETED', agentId: 'a1', epoch: 1 });
    const third = stores.commit();
    expect(third).to.equal(second);
    await Promise.all([first, second, third]);
    expect(stores.stats.commits).to.equal(2);
    expect(JSON.parse((await client.hGet(made!.keys.tasks, 'g'))!.replace(/^\d+:/, '')).state).to.equal('COMPLETED');
  });
});
