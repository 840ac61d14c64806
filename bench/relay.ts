/**
 * What does the cluster relay cost? Tasks/s end to end (pool.assign → task.run on an agent → its
 * answer) with the clients connected to a gateway that relays through Redis Streams, against the
 * same clients connected to the leader directly; and the Redis commands per relayed task.
 *
 * One process holds the leader (an in-process Daemon, memory stores, its commit resolving at once:
 * cluster-core's fenced commit is not in this measure), its LeaderInbox, a gateway (HttpServer +
 * GatewayRelay) and the clients (real WebSockets); a private redis-server runs beside it. Both
 * modes run in this same process on this same machine, so the ratio is what to read, not the
 * absolute numbers (bench:cluster measures real replica processes).
 *
 * With --processes the leader and the gateway are real replica processes (the built daemon,
 * COORDD_STORE=redis://…, cluster-core's fenced commit included; Redis with appendfsync everysec) and
 * only the clients run here: the same clients connect to the follower (relayed) or to the leader.
 *
 * Run: npm run bench:relay [-- --quick] [-- --processes]   (writes bench/results/relay[-processes].json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type DaemonProcess } from '../test/support/daemon-process.js';
import { findRedisServer, startRedis } from '../test/support/redis-server.js';
import { RelayHarness } from '../test/support/relay-harness.js';
import { TestClient } from '../test/support/ws-client.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const processes = process.argv.includes('--processes');
const AGENTS = 20;
const CAPACITY = 8;
const OPERATORS = 4;
const WINDOW = 100;
const WARMUP_MS = quick ? 500 : 1500;
const MEASURE_MS = quick ? 2000 : 6000;
/** Each mode runs this many times, interleaved (direct, gateway, direct, …): the machine is shared, the median is reported. */
const ROUNDS = quick ? 2 : 3;

interface ModeResult {
  mode: string;
  tasks: number;
  seconds: number;
  tasksPerSec: number;
  redisCommands?: number;
  redisCommandsPerTask?: number;
}

async function commandCount(h: RelayHarness): Promise<number> {
  const client = await h.client();
  const info = String(await client.sendCommand(['INFO', 'commandstats']));
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
  return total;
}

/** A closed loop: each operator keeps WINDOW tasks in flight; an agent's answer frees a slot. */
interface Measured {
  direct: ModeResult;
  relayed: ModeResult;
  runs: ModeResult[];
  sequential: { calls: number; redisCommandsPerCall: number; meanMs: number };
}

let fleet = 0;

/** One call at a time through the gateway (nothing to batch with): Redis commands per relayed call. */
async function sequential(connect: () => Promise<TestClient>, h: RelayHarness): Promise<{ calls: number; redisCommandsPerCall: number; meanMs: number }> {
  const c = await connect();
  await c.request('session.info');
  const calls = 200;
  const before = await commandCount(h);
  const started = performance.now();
  for (let i = 0; i < calls; i++) await c.request('session.info');
  const meanMs = (performance.now() - started) / calls;
  const commands = (await commandCount(h)) - before - 1;
  await c.close();
  return { calls, redisCommandsPerCall: Number((commands / calls).toFixed(2)), meanMs: Number(meanMs.toFixed(2)) };
}

/** Both modes ROUNDS times, interleaved; each mode's runs and the one with the median tasks/s. */
async function rounds(
  direct: () => Promise<ModeResult>,
  relayed: () => Promise<ModeResult>,
): Promise<{ direct: ModeResult; relayed: ModeResult; runs: ModeResult[] }> {
  const runs: ModeResult[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await direct(), await relayed());
  const median = (mode: string): ModeResult => {
    const sorted = runs.filter((r) => r.mode === mode).sort((a, b) => a.tasksPerSec - b.tasksPerSec);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return { direct: median('direct'), relayed: median('gateway'), runs };
}

async function run(mode: string, connect: () => Promise<TestClient>, h: RelayHarness, countRedis: boolean): Promise<ModeResult> {
  let answered = 0;
  const agents: TestClient[] = [];
  const refill: (() => void)[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const c = await connect();
    await c.request('agent.register', { agentId: `${mode}-${++fleet}-agent-${i}`, capabilities: ['bench'], capacity: CAPACITY });
    void (async () => {
      for (;;) {
        const m = await c.next().catch(() => undefined);
        if (!m) return;
        if (m.method !== 'task.run') continue;
        c.send({ jsonrpc: '2.0', id: m.id, result: { ok: true } });
        answered++;
        refill[answered % OPERATORS]?.();
      }
    })();
    agents.push(c);
  }
  const operators = await Promise.all(Array.from({ length: OPERATORS }, () => connect()));
  let stopping = false;
  operators.forEach((op, i) => {
    let inFlight = 0;
    const submit = (): void => {
      while (!stopping && inFlight < WINDOW) {
        inFlight++;
        op.call('pool.assign', { type: 'bench', payload: { i }, requiredCapabilities: ['bench'] }).then((r) => {
          if (r.error) throw new Error(JSON.stringify(r.error));
        });
      }
    };
    refill[i] = () => {
      inFlight--;
      submit();
    };
    submit();
  });
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const startCount = answered;
  const startCommands = countRedis ? await commandCount(h) : 0;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
  const tasks = answered - startCount;
  const seconds = (performance.now() - started) / 1000;
  const commands = countRedis ? (await commandCount(h)) - startCommands - 1 : undefined;
  stopping = true;
  for (const c of [...agents, ...operators]) await c.close();
  return {
    mode,
    tasks,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSec: Math.round(tasks / seconds),
    ...(commands !== undefined && { redisCommands: commands, redisCommandsPerTask: Number((commands / tasks).toFixed(2)) }),
  };
}

async function inProcess(h: RelayHarness): Promise<Measured> {
  const leader = await h.leader(1, { env: { COORDD_MAX_QUEUE: '100000' } });
  const gw = await h.gateway(1);
  const directUrl = `ws://127.0.0.1:${(leader.daemon as unknown as { http: { server: { address(): { port: number } } } }).http.server.address().port}/rpc`;
  const one = await sequential(() => gw.connect(), h);
  return {
    ...(await rounds(
      () => run('direct', () => TestClient.connect(directUrl), h, false),
      () => run('gateway', () => gw.connect(), h, true),
    )),
    sequential: one,
  };
}

async function replicaProcesses(h: RelayHarness): Promise<Measured> {
  const env = (nodeId: string) => ({
    COORDD_STORE: h.redis.url,
    COORDD_NODE_ID: nodeId,
    COORDD_LOG_LEVEL: 'info',
    COORDD_VALIDATE_RESULTS: 'false',
    COORDD_MAX_QUEUE: '100000',
  });
  const started: DaemonProcess[] = [];
  try {
    const leader = await startDaemon(env('leader'));
    started.push(leader);
    await leader.waitForLog((l) => l.msg === 'serving as leader');
    const follower = await startDaemon(env('follower'));
    started.push(follower);
    await follower.waitForLog((l) => l.msg === 'leader changed' && (l.leader as { nodeId?: string } | undefined)?.nodeId === 'leader');
    const one = await sequential(() => TestClient.connect(follower.url), h);
    return {
      ...(await rounds(
        () => run('direct', () => TestClient.connect(leader.url), h, true),
        () => run('gateway', () => TestClient.connect(follower.url), h, true),
      )),
      sequential: one,
    };
  } finally {
    await Promise.all(started.map((d) => d.stop()));
  }
}

async function main(): Promise<void> {
  const bin = findRedisServer();
  if (!bin) throw new Error('bench:relay needs redis-server');
  const redis = await startRedis(bin, { extraArgs: processes ? ['--appendfsync', 'everysec'] : ['--appendonly', 'no'] });
  const h = new RelayHarness(redis);
  try {
    const { direct, relayed, runs, sequential: one } = processes ? await replicaProcesses(h) : await inProcess(h);
    const result = {
      at: new Date().toISOString(),
      setup: processes ? 'replica processes (leader + follower), clients in the bench process' : 'one process (in-process leader, gateway, clients)',
      quick,
      agents: AGENTS,
      capacity: CAPACITY,
      operators: OPERATORS,
      window: WINDOW,
      direct,
      relayed,
      ratio: Number((relayed.tasksPerSec / direct.tasksPerSec).toFixed(2)),
      runs: runs.map((r) => `${r.mode} ${r.tasksPerSec}`),
      sequentialThroughGateway: one,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(join(HERE, 'results', processes ? 'relay-processes.json' : 'relay.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await h.stop();
    await redis.stop();
  }
}

await main();
