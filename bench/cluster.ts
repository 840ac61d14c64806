/**
 * Issue 12's benchmarks: the cluster (3 replicas + redis-server) against the single-node SQLite
 * daemon, in one run on one machine, and the leader's failover.
 *
 * - throughput: the same closed-loop load (test/support/cluster-workload.ts: 16 agents of capacity 8, 4
 *   operators keeping 256 tasks in flight, every task.run answered at once) first on one daemon
 *   (COORDD_STORE=sqlite:<temp>, defaults otherwise), then on three replicas (COORDD_STORE=redis://,
 *   default lease), agents and operators spread over the replicas by their URL lists. tasks/s =
 *   task.run handled per second in the measured window. Redis commands per task = the growth of
 *   INFO commandstats' calls over the window / tasks run in it. Target: cluster >= 50% of single node.
 * - failover, `--trials` times (20): a steady load with idempotency keys; kill -9 the leader; the time
 *   from the kill to the first task.run of a task submitted after the kill (necessarily dispatched
 *   by the new leader); the killed replica is started again before the next trial. Target: max < 10 s
 *   with the default lease (5 s). At the end every acknowledged task must exist and have completed,
 *   once (test/support/cluster-history.ts checks the whole run).
 *
 * Run: npm run bench:cluster [-- --quick --trials=N --strict]   (writes bench/results/cluster.json)
 *   --quick   short windows and 3 trials
 *   --strict  exit 1 when a target is missed
 * Needs the built daemon with cluster mode, and redis-server (COORDD_REDIS_SERVER or on PATH).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CoordClient } from '../src/client/index.js';
import { ClusterHarness, clusterModeBuilt } from '../test/support/cluster-harness.js';
import { ClusterHistory } from '../test/support/cluster-history.js';
import { settleTasks, TaskLoad } from '../test/support/cluster-workload.js';
import { startDaemon } from '../test/support/daemon-process.js';
import { findRedisServer } from '../test/support/redis-server.js';
import { machineInfo } from './lib/machine.js';
import { processCpuSeconds } from './lib/process-cpu.js';
import { summarize } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results', 'cluster.json');
const TARGETS = { clusterShare: 0.5, failoverMaxMs: 10_000 } as const;

const argv = process.argv.slice(2);
for (const a of argv) {
  if (!['--quick', '--strict'].includes(a) && !/^--trials=\d+$/.test(a)) {
    console.error(`unknown argument ${a}; usage: tsx bench/cluster.ts [--quick] [--strict] [--trials=N]`);
    process.exit(2);
  }
}
const quick = argv.includes('--quick');
const strict = argv.includes('--strict');
const trials = Number(argv.find((a) => a.startsWith('--trials='))?.slice(9) ?? (quick ? 3 : 20));
const WARMUP_MS = quick ? 1_000 : 3_000;
const WINDOW_MS = quick ? 3_000 : 10_000;
const LOAD = { agents: 16, capacity: 8, operators: 4, window: 256 } as const;

interface Throughput {
  tasksPerSec: number;
  runs: number;
  seconds: number;
  cpuSeconds: Record<string, number | undefined>;
}

/** Run the load on `urls` and measure the task.run rate over the window. */
async function measure(
  urls: string[],
  pids: Record<string, number | undefined>,
  around?: { before(): Promise<void>; after(): Promise<void> },
): Promise<Throughput> {
  const load = new TaskLoad({ urls, ...LOAD, idempotent: false });
  await load.start();
  try {
    load.run();
    await sleep(WARMUP_MS);
    await around?.before();
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
    const runs0 = load.runs;
    const t0 = performance.now();
    await sleep(WINDOW_MS);
    const runs = load.runs - runs0;
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, sub(processCpuSeconds(pid), cpu0[k])]));
    await around?.after();
    load.pause();
    return { tasksPerSec: runs / seconds, runs, seconds, cpuSeconds };
  } finally {
    await load.stop();
  }
}

function sub(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.round((a - b) * 100) / 100;
}

/** Sum of `calls=` over INFO commandstats, leaving out the bench's own INFO calls. */
function commandCalls(info: string): number {
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
  return total;
}

async function singleNode(): Promise<Throughput> {
  const dir = mkdtempSync(join(os.tmpdir(), 'coordd-bench-cluster-'));
  const daemon = await startDaemon({ COORDD_STORE: `sqlite:${join(dir, 'coordd.db')}`, COORDD_LOG_LEVEL: 'warn', COORDD_VALIDATE_RESULTS: 'false' });
  try {
    return await measure([daemon.url], { daemon: daemon.proc.pid });
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function clusterThroughput(cluster: ClusterHarness): Promise<Throughput & { redisCommandsPerTask: number }> {
  let calls0 = 0;
  let calls = 0;
  const info = async (): Promise<number> => commandCalls(String(await cluster.redis.command(['INFO', 'commandstats'])));
  const pids: Record<string, number | undefined> = { redis: cluster.redis.proc.pid };
  for (const r of cluster.replicas) pids[r.nodeId] = r.daemon?.proc.pid;
  const result = await measure(cluster.urls, pids, {
    before: async () => void (calls0 = await info()),
    after: async () => void (calls = (await info()) - calls0),
  });
  return { ...result, redisCommandsPerTask: calls / Math.max(1, result.runs) };
}

/** Kill -9 the leader `trials` times under load; time to the first task run by the new leader. */
async function failover(cluster: ClusterHarness): Promise<{ ms: number[]; history: ClusterHistory; lost: string[]; notCompleted: string[] }> {
  const history = new ClusterHistory();
  // About 50 tasks/s: enough to see the first dispatch after the kill within ~100 ms, and every task of the run kept for the checker.
  const load = new TaskLoad({ urls: cluster.urls, agents: 6, capacity: 4, operators: 2, window: 4, paceMs: 80, idempotent: true, history });
  await load.start();
  const ms: number[] = [];
  try {
    load.run();
    for (let trial = 1; trial <= trials; trial++) {
      const { replica, term } = await cluster.waitForLeader({ timeoutMs: 60_000 });
      history.termSeen(term, replica.nodeId, 'redis');
      await sleep(1000); // steady load before the fault
      const t0 = performance.now();
      await cluster.kill(replica.nodeId);
      const first = await firstRunAfter(load, t0, 60_000);
      const next = await cluster.waitForLeader({ not: replica.nodeId, afterTerm: term, timeoutMs: 60_000 });
      history.termSeen(next.term, next.replica.nodeId, 'redis');
      ms.push(first - t0);
      console.log(
        `  trial ${trial}/${trials}: ${replica.nodeId} (term ${term}) killed -> ${next.replica.nodeId} (term ${next.term}); first task.run after ${Math.round(first - t0)} ms`,
      );
      await cluster.startReplica(replica.nodeId, { COORDD_LOG_LEVEL: 'warn' });
    }
    load.pause();
    const { lost, notCompleted } = await settle(cluster, load, history);
    return { ms, history, lost, notCompleted };
  } finally {
    await load.stop();
  }
}

/** The receive time of the first task.run of a task whose assign was sent after t0. */
async function firstRunAfter(load: TaskLoad, t0: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let best = Infinity;
    for (const r of load.runTimes) {
      const sent = load.sentAt.get(r.taskId);
      if (r.at > t0 && sent !== undefined && sent > t0 && r.at < best) best = r.at;
    }
    if (best !== Infinity) return best;
    if (performance.now() > deadline) throw new Error(`no task submitted after the kill ran within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Wait until every acknowledged task is finished (bounded), read them all, and check the history. */
async function settle(cluster: ClusterHarness, load: TaskLoad, history: ClusterHistory): Promise<{ lost: string[]; notCompleted: string[] }> {
  const op = await CoordClient.connect({ url: cluster.urls, reconnect: { initialDelayMs: 50, maxDelayMs: 500, factor: 2, jitter: 0.2 } });
  try {
    return await settleTasks(op, [...load.sentAt.keys()], history, 90_000);
  } finally {
    await op.close();
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`bench:cluster on ${machine.cpus} x ${machine.cpuModel}, load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`);
  const redisBinary = findRedisServer();
  if (!redisBinary) throw new Error('redis-server is needed (install Debian redis-server or set COORDD_REDIS_SERVER)');
  if (!clusterModeBuilt()) throw new Error('the built daemon refuses COORDD_STORE=redis:// (cluster mode not built yet): nothing to compare');

  console.log(`single node (sqlite): ${WINDOW_MS / 1000} s window`);
  const single = await singleNode();
  console.log(`  ${Math.round(single.tasksPerSec)} tasks/s`);

  const cluster = await ClusterHarness.start(redisBinary, {
    replicas: 3,
    leaseSeconds: 5,
    nodeTtlSeconds: 5,
    reattachGraceSeconds: 30,
    monitor: false,
    // Retention keeps every finished task of the run, so the checker can tell a lost task from a pruned one.
    env: {
      COORDD_LOG_LEVEL: 'warn',
      COORDD_CLUSTER_FORWARD_WAIT: '5',
      COORDD_VALIDATE_RESULTS: 'false',
      COORDD_TASK_RETENTION_COUNT: '1000000',
      COORDD_TASK_RETENTION: '86400',
    },
  });
  let clustered: Awaited<ReturnType<typeof clusterThroughput>>;
  let fail: Awaited<ReturnType<typeof failover>>;
  try {
    console.log(`cluster (3 replicas + redis-server): ${WINDOW_MS / 1000} s window`);
    clustered = await clusterThroughput(cluster);
    console.log(`  ${Math.round(clustered.tasksPerSec)} tasks/s, ${clustered.redisCommandsPerTask.toFixed(1)} Redis commands per task`);
    console.log(`failover: ${trials} trials, kill -9 the leader (default lease 5 s)`);
    fail = await failover(cluster);
  } finally {
    await cluster.stop();
  }

  const share = clustered.tasksPerSec / single.tasksPerSec;
  const failoverMs = summarize(fail.ms);
  const violations = fail.history.check();
  const results = {
    machine,
    load: LOAD,
    windowMs: WINDOW_MS,
    single,
    cluster: clustered,
    share,
    failover: { trials, ms: fail.ms.map(Math.round), median: failoverMs.p50, max: failoverMs.max, lost: fail.lost, notCompleted: fail.notCompleted },
    history: { summary: fail.history.summary(), violations },
    targets: TARGETS,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

  const ok = {
    share: share >= TARGETS.clusterShare,
    failover: failoverMs.max < TARGETS.failoverMaxMs,
    safety: violations.length === 0 && fail.lost.length === 0 && fail.notCompleted.length === 0,
  };
  console.log('');
  console.log(
    `single node ${Math.round(single.tasksPerSec)} tasks/s | cluster ${Math.round(clustered.tasksPerSec)} tasks/s = ${(share * 100).toFixed(0)}% (target >= 50%) ${ok.share ? 'met' : 'MISSED'}`,
  );
  console.log(`Redis commands per task: ${clustered.redisCommandsPerTask.toFixed(1)}`);
  console.log(
    `failover over ${trials} trials: median ${Math.round(failoverMs.p50)} ms, max ${Math.round(failoverMs.max)} ms (target max < 10 s) ${ok.failover ? 'met' : 'MISSED'}`,
  );
  console.log(
    `checker: ${JSON.stringify(fail.history.summary())}; violations ${violations.length}, lost ${fail.lost.length}, not completed ${fail.notCompleted.length} ${ok.safety ? 'ok' : 'FAILED'}`,
  );
  for (const v of violations.slice(0, 20)) console.log(`  ${v.kind} ${v.subject}: ${v.detail}`);
  console.log(`wrote ${RESULTS}`);
  if (!ok.safety || (strict && (!ok.share || !ok.failover))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
