/**
 * The routing targets of issue 14 through the real daemon, not the simulation: the built daemon
 * (dist/bin/coordd.js) is started once per strategy (COORDD_ROUTER_STRATEGY), fake agents of two
 * speeds register over real WebSocket connections and answer each task.run after its work time,
 * and an operator connection submits pool.assign at a Poisson rate.
 *
 * Fleet (defaults): 4 agents at a mean of 20 ms and 4 at 80 ms per task, capacity 2 each, every
 * slot served at once; task work is lognormal (σ = 1, so a heavy tail) on the fast agents and 4×
 * that on the slow ones; offered load 70% of the fleet's throughput. Every strategy sees the same
 * arrival times and task sizes in a round (seeded), rounds use different seeds and alternate the
 * strategies' order so a burst of other work on the machine does not land on one strategy only.
 * Latency is end to end: pool.assign sent → the agent's answer sent (both ends in this process,
 * one clock); the first 10% of each run is warm-up.
 *
 * Run: npm run bench:routing-live [-- --quick] [--rounds N] [--tasks N] [--load 0.7] [--fast-ms 20] [--store sqlite|memory]
 * (--fast-ms sets the fast agents' mean work; the slow ones take 4× that, and the arrival rate
 * follows, so the load stays the same share of the fleet while the daemon's own per-task time
 * becomes a smaller share of each task.)
 * Writes bench/results/routing-live.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { seededRandom } from '../src/random.js';
import { machineInfo } from './lib/machine.js';
import { rpcCall, startDaemon } from './lib/pool-daemon.js';
import { summarize, type LatencySummary } from './lib/stats.js';
import { exponential, lognormal } from './sim/distributions.js';
import { estimate, type Estimate } from './sim/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAEMON_BIN = join(HERE, '..', 'dist', 'bin', 'coordd.js');
const RESULTS = join(HERE, 'results', 'routing-live.json');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    tasks: { type: 'string' },
    load: { type: 'string' },
    'fast-ms': { type: 'string' },
    store: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds ?? (args.quick ? 1 : 3));
const TASKS = Number(args.tasks ?? (args.quick ? 2000 : 5000));
const LOAD = Number(args.load ?? 0.7);
const FAST_MS = Number(args['fast-ms'] ?? 20);
/** The daemon's store: its default kind (SQLite, in a fresh temp file per daemon) or memory. */
const STORE = args.store ?? 'sqlite';
if (!(
  Number.isInteger(ROUNDS) &&
  ROUNDS >= 1 &&
  Number.isInteger(TASKS) &&
  TASKS >= 100 &&
  LOAD > 0 &&
  LOAD < 1 &&
  FAST_MS >= 1 &&
  (STORE === 'sqlite' || STORE === 'memory')
)) {
  console.error(
    'usage: tsx bench/routing-live.ts [--quick] [--rounds N>=1] [--tasks N>=100] [--load 0<x<1] [--fast-ms N>=1] [--store sqlite|memory] [--no-write]',
  );
  process.exit(2);
}

const FLEET = { fastAgents: 4, slowAgents: 4, fastMeanMs: FAST_MS, slowdown: 4, capacity: 2, sigma: 1 } as const;
const BASELINES = ['ROUND_ROBIN', 'LEAST_LOADED', 'P2C', 'PEAK_EWMA'] as const;
const STRATEGIES = [...BASELINES, 'RIPPLE_COORDINATION'] as const;
type Strategy = (typeof STRATEGIES)[number];
const WARMUP = 0.1;
/** Throughput of the fleet, tasks per ms (every slot serves at once). */
const CAPACITY_RATE = (FLEET.fastAgents * FLEET.capacity) / FLEET.fastMeanMs + (FLEET.slowAgents * FLEET.capacity) / (FLEET.fastMeanMs * FLEET.slowdown);

interface RunResult {
  strategy: Strategy;
  round: number;
  latency: LatencySummary;
  /** Share of the measured tasks (after warm-up) that ran on a slow agent. */
  slowShare: number;
  /** Mean ms from pool.assign sent to task.run received, of the measured tasks per tier (queueing, holds, the daemon's own time). */
  startDelay: { fast: number; slow: number };
  completed: number;
  held?: { tasksHeld: number; meanMs: number; maxMs: number };
}

function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return once(ws, 'open').then(() => ws);
}

function call(ws: WebSocket, id: number, method: string, params: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
      if (msg.id !== id) return;
      ws.off('message', onMessage);
      if (msg.result) resolve(msg.result);
      else reject(new Error(`${method} failed: ${data.toString()}`));
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  });
}

/** One strategy, one round: a fresh daemon, the fleet, `TASKS` Poisson arrivals; resolves when every task is answered. */
async function runOnce(strategy: Strategy, round: number): Promise<RunResult> {
  const daemon = await startDaemon(DAEMON_BIN, [], {
    COORDD_LOG_LEVEL: 'warn',
    COORDD_ROUTER_STRATEGY: strategy,
    ...(STORE === 'memory' ? { COORDD_STORE: 'memory' } : {}),
  });
  const sentAt = new Float64Array(TASKS);
  const latency = new Float64Array(TASKS).fill(Number.NaN);
  const ranSlow = new Uint8Array(TASKS);
  const startDelay = new Float64Array(TASKS);
  let answered = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const agents: WebSocket[] = [];
  const timers = new Set<NodeJS.Timeout>();
  try {
    for (let i = 0; i < FLEET.fastAgents + FLEET.slowAgents; i++) {
      const slow = i >= FLEET.fastAgents;
      const ws = await connect(daemon.url);
      await call(ws, 1, 'agent.register', { agentId: `${slow ? 'slow' : 'fast'}-${i}`, capabilities: [], capacity: FLEET.capacity });
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { id?: number | string; method?: string; params?: { payload?: { s: number; w: number } } };
        if (msg.method !== 'task.run' || msg.params?.payload === undefined) return;
        const { s, w } = msg.params.payload;
        if (slow) ranSlow[s] = 1;
        startDelay[s] = performance.now() - sentAt[s]!;
        const t = setTimeout(
          () => {
            timers.delete(t);
            latency[s] = performance.now() - sentAt[s]!;
            ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { ok: true } }));
            if (++answered === TASKS) allDone();
          },
          w * (slow ? FLEET.slowdown : 1),
        );
        timers.add(t);
      });
      agents.push(ws);
    }
    const heartbeat = setInterval(() => {
      for (const ws of agents) ws.send('{"jsonrpc":"2.0","method":"agent.heartbeat","params":{}}');
    }, 1000);
    const operator = await connect(daemon.url);
    operator.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { error?: unknown };
      if (msg.error !== undefined) console.error(`pool.assign failed: ${data.toString()}`);
    });

    // Same arrivals and sizes for every strategy of a round.
    const arrivals = seededRandom(1000 + round);
    const sizes = seededRandom(2000 + round);
    const rate = LOAD * CAPACITY_RATE;
    const due: number[] = [];
    let t = 0;
    for (let s = 0; s < TASKS; s++) due.push((t += exponential(arrivals, 1 / rate)));
    const work = due.map(() => Math.min(50 * FLEET.fastMeanMs, lognormal(sizes, FLEET.fastMeanMs, FLEET.sigma)));
    const start = performance.now();
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now() - start;
        while (next < TASKS && due[next]! <= now) {
          sentAt[next] = performance.now();
          operator.send(
            JSON.stringify({ jsonrpc: '2.0', id: next + 10, method: 'pool.assign', params: { type: 'work', payload: { s: next, w: work[next] } } }),
          );
          next++;
        }
        if (next < TASKS) setTimeout(tick, Math.max(0, Math.min(5, due[next]! - now)));
        else resolve();
      };
      tick();
    });
    const limit = setTimeout(allDone, 60_000);
    await done;
    clearTimeout(limit);
    clearInterval(heartbeat);
    const first = Math.floor(WARMUP * TASKS);
    const measured = Array.from(latency.subarray(first)).filter((x) => Number.isFinite(x));
    const slowShare = ranSlow.subarray(first).reduce((n, x) => n + x, 0) / (TASKS - first);
    const delayOf = (tier: 0 | 1): number => {
      let sum = 0;
      let n = 0;
      for (let s = first; s < TASKS; s++) if (ranSlow[s] === tier) ((sum += startDelay[s]!), n++);
      return n > 0 ? sum / n : Number.NaN;
    };
    const metrics =
      strategy === 'RIPPLE_COORDINATION'
        ? await rpcCall<{ holds?: { tasksHeld: number; meanMs: number; maxMs: number } }>(daemon.url, 'coordination.metrics')
        : undefined;
    operator.close();
    return {
      strategy,
      round,
      latency: summarize(measured),
      slowShare,
      startDelay: { fast: delayOf(0), slow: delayOf(1) },
      completed: answered,
      held: metrics?.holds,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const ws of agents) ws.close();
    await daemon.stop();
  }
}

console.log(
  `routing live: ${FLEET.fastAgents} agents at ${FLEET.fastMeanMs} ms + ${FLEET.slowAgents} at ${FLEET.fastMeanMs * FLEET.slowdown} ms (lognormal σ=${FLEET.sigma}), capacity ${FLEET.capacity}, ${Math.round(LOAD * 100)}% load (${Math.round(LOAD * CAPACITY_RATE * 1000)} tasks/s), ${TASKS} tasks × ${ROUNDS} rounds per strategy`,
);
const results: RunResult[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? STRATEGIES : [...STRATEGIES].reverse();
  for (const strategy of order) {
    const r = await runOnce(strategy, round);
    results.push(r);
    const held = r.held ? `, held ${r.held.tasksHeld} (mean ${r.held.meanMs.toFixed(1)} ms)` : '';
    console.log(
      `  round ${round + 1} ${strategy.padEnd(20)} mean ${r.latency.mean.toFixed(1)} ms, p50 ${r.latency.p50.toFixed(1)}, p99 ${r.latency.p99.toFixed(1)}, p99.9 ${r.latency.p999.toFixed(1)}, slow tier ${(100 * r.slowShare).toFixed(1)}% (start delay fast ${r.startDelay.fast.toFixed(1)} ms, slow ${r.startDelay.slow.toFixed(1)} ms)${held}`,
    );
  }
}

const summary = Object.fromEntries(
  STRATEGIES.map((s) => {
    const mine = results.filter((r) => r.strategy === s);
    const of = (k: 'mean' | 'p50' | 'p99' | 'p999'): Estimate => estimate(mine.map((r) => r.latency[k]));
    return [s, { mean: of('mean'), p50: of('p50'), p99: of('p99'), p999: of('p999'), slowShare: estimate(mine.map((r) => r.slowShare)) }];
  }),
) as Record<Strategy, Record<'mean' | 'p50' | 'p99' | 'p999' | 'slowShare', Estimate>>;
const fmt = (e: Estimate): string => (Number.isFinite(e.ci) ? `${e.mean.toFixed(1)} ±${e.ci.toFixed(1)}` : e.mean.toFixed(1));
console.log(`\n${'strategy'.padEnd(20)}${['mean ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'slow tier'].map((h) => h.padStart(16)).join('')}`);
for (const s of STRATEGIES) {
  const cells = (['mean', 'p50', 'p99', 'p999'] as const).map((k) => fmt(summary[s][k]).padStart(16));
  console.log(s.padEnd(20) + cells.join('') + `${(100 * summary[s].slowShare.mean).toFixed(1)}%`.padStart(16));
}
const best = (k: 'mean' | 'p99'): Strategy => BASELINES.reduce((a, b) => (summary[a][k].mean <= summary[b][k].mean ? a : b));
const ratio = (k: 'mean' | 'p99'): number => summary.RIPPLE_COORDINATION[k].mean / summary[best(k)][k].mean;
/**
 * Per round: RIPPLE over that round's best baseline. Ratios measured in one round share its
 * machine conditions; a stall that hits one strategy's run moves one round's ratio, not the
 * pooled means of every round. The verdict reads their median.
 */
const perRound = (k: 'mean' | 'p99'): { ratios: number[]; median: number } => {
  const ratios = Array.from({ length: ROUNDS }, (_, round) => {
    const mine = results.filter((r) => r.round === round);
    const ripple = mine.find((r) => r.strategy === 'RIPPLE_COORDINATION')!.latency[k];
    return ripple / Math.min(...mine.filter((r) => r.strategy !== 'RIPPLE_COORDINATION').map((r) => r.latency[k]));
  });
  const sorted = [...ratios].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { ratios, median };
};
const verdict = (k: 'mean' | 'p99', need: number) => {
  const rounds = perRound(k);
  return { best: best(k), pooledRatio: ratio(k), perRound: rounds.ratios, median: rounds.median, need, met: rounds.median <= need };
};
const targets = { p99: verdict('p99', 0.7), mean: verdict('mean', 0.9) };
for (const [k, t] of Object.entries(targets)) {
  console.log(
    `\nRIPPLE ${k} over each round's best baseline: median ×${t.median.toFixed(2)} (rounds ${t.perRound.map((r) => r.toFixed(2)).join(', ')}; need <= ×${t.need}): ${t.met ? 'met' : 'NOT MET'}` +
      `\n  pooled over rounds: ×${t.pooledRatio.toFixed(2)} of ${t.best}`,
  );
}

if (!args['no-write']) {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        benchmark: 'routing-live',
        mode: args.quick ? 'quick' : 'full',
        machine: machineInfo(),
        fleet: FLEET,
        store: STORE,
        load: LOAD,
        tasks: TASKS,
        rounds: ROUNDS,
        summary,
        targets,
        runs: results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${join('bench', 'results', 'routing-live.json')}`);
}
