/**
 * Cluster mode's state on Redis, in process against a private redis-server (AOF, appendfsync always):
 * - commit: tasks/s for create + start + complete journaled and committed by the fenced script once
 *   per batch (one batch is one event-loop turn), and Redis commands per commit (INFO commandstats);
 * - rebuild: a newly elected leader loading N tasks (half PENDING, half COMPLETED and retained) from
 *   Redis and splitting them for recovery, for N = 10,000 and 100,000.
 *
 * Run: npm run bench:cluster-rebuild   (writes bench/results/cluster-rebuild.json)
 *      npm run bench:cluster-rebuild -- --quick   (N = 1,000 and 10,000)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterKeys } from '../src/cluster/cluster-keys.js';
import { createRedisConnection, type RedisConnection } from '../src/cluster/redis-connection.js';
import { RedisStores } from '../src/cluster/redis-stores.js';
import type { TaskRecord } from '../src/pool/task-store.js';
import { recoverTasks } from '../src/stores/recovered-tasks.js';
import { systemClock } from '../src/time/clock.js';
import { findRedisServer, startRedis } from '../test/support/redis-server.js';
import { SUMMARISE_RESULT, summariseTask } from './lib/summarise-task.js';

const quick = process.argv.includes('--quick');
let n = 0;

function task(): TaskRecord {
  const id = ++n;
  return summariseTask(id, { priority: id % 3 });
}

function complete(stores: RedisStores, t: TaskRecord, now: number): void {
  const running: TaskRecord = {
    ...t,
    state: 'IN_PROGRESS',
    agentId: 'agent-7',
    epoch: 1,
    startedAt: now,
    attempts: [{ attempt: 1, agentId: 'agent-7', epoch: 1, startedAt: now, outcome: 'running' }],
  };
  stores.tasks.update(running);
  stores.tasks.update({
    ...running,
    state: 'COMPLETED',
    result: SUMMARISE_RESULT,
    finishedAt: now,
    attempts: [{ ...running.attempts[0]!, outcome: 'completed', finishedAt: now }],
  });
}

async function commandCounts(redis: RedisConnection): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  return Object.fromEntries([...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

async function run(redis: RedisConnection, size: number, prefix: string) {
  const keys = clusterKeys(prefix);
  await redis.mSet([
    [keys.term, '1'],
    [keys.epoch, 'bench'],
  ]);
  const deps = { redis, keys, clock: systemClock, term: 1, epoch: 'bench', description: 'redis://bench' };
  const options = { tasks: { retentionMs: 3_600_000, retentionCount: size } };
  const stores = new RedisStores(deps, options);
  const batch = 100;
  const before = await commandCounts(redis);
  const started = performance.now();
  for (let i = 0; i < size; i += batch) {
    const now = Date.now();
    for (let j = 0; j < batch && i + j < size; j++) {
      const t = task();
      stores.tasks.insert(t);
      if ((i + j) % 2 === 1) complete(stores, t, now);
    }
    await stores.commit();
  }
  const commitSeconds = (performance.now() - started) / 1000;
  const after = await commandCounts(redis);
  const delta = Object.fromEntries(
    Object.entries(after)
      .map(([c, k]) => [c, k - (before[c] ?? 0)])
      .filter(([c, k]) => k !== 0 && c !== 'info'),
  );
  const commits = stores.stats.commits;
  const perCommit = Object.fromEntries(Object.entries(delta).map(([c, k]) => [c, Math.round((Number(k) / commits) * 100) / 100]));

  const rebuildStart = performance.now();
  const fresh = await RedisStores.load(deps, options);
  const loadedMs = performance.now() - rebuildStart;
  const recovered = recoverTasks(fresh.tasks);
  const rebuildMs = performance.now() - rebuildStart;
  const memory = Number(((await redis.info('memory')).match(/used_memory:(\d+)/) ?? [])[1]);
  await redis.del(Object.values(keys));
  return {
    tasks: size,
    pending: recovered.pending.length,
    completed: fresh.tasks.countByState().COMPLETED,
    commit: { batch, commits, tasksPerSecond: Math.round(size / commitSeconds), redisCommandsPerCommit: perCommit, roundTripsPerCommit: 1 },
    rebuild: { loadMs: Math.round(loadedMs), totalMs: Math.round(rebuildMs) },
    redisUsedMemoryBytes: memory,
  };
}

async function main(): Promise<void> {
  const binary = findRedisServer();
  if (!binary) return;
  const server = await startRedis(binary);
  const redis = createRedisConnection(server.url, (err) => console.error(err.message));
  await redis.connect();
  try {
    const rows = [];
    for (const size of quick ? [1_000, 10_000] : [10_000, 100_000]) {
      const row = await run(redis, size, `{bench${size}}:`);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    const machine = {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1],
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', quick ? 'cluster-rebuild-quick.json' : 'cluster-rebuild.json');
    writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, appendfsync: 'always', rows }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    redis.destroy();
    await server.stop();
  }
}

await main();
