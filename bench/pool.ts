/**
 * How many tasks can the agent pool take end to end, and how long does a task wait before it
 * reaches an agent? Targets (2-core machine): >= 5,000 tasks/s submitted, run (no-op) and
 * completed; dispatch overhead p99 < 2 ms.
 *
 * Three processes, real sockets: this script only orchestrates. It spawns the built daemon
 * (dist/bin/coordd.js, COORDD_LOG_LEVEL=warn, defaults otherwise) and forks the load generator
 * (bench/lib/pool-load-generator.ts), which opens 100 agent connections (agent.register, capacity
 * 4; every task.run is answered at once with {ok:true}) and 4 operator connections that submit
 * pool.assign. Agents and operators share the generator's clock, so it times each task from the
 * assign's send to the agent receiving its task.run.
 *
 * Phases, on one daemon and one registered fleet:
 * - throughput: closed loop end to end. Each operator keeps `window` tasks submitted and not yet
 *   completed; an agent's answer frees its operator's slot, which submits the next task. tasks/s =
 *   agents' answers in the measured window (the daemon's COMPLETED counter between the scrapes is
 *   printed next to it). The fleet is saturated by design here, so tasks queue and the queue wait
 *   grows with the window (Little's law): those latencies are reported, not judged.
 * - dispatch latency: open loop at a fixed 1,000 tasks/s, well below saturation, so queueing does
 *   not dominate. Dispatch latency is measured two ways: (a) client-observed, assign sent → task.run
 *   received (includes both socket hops, JSON and validation); (b) daemon-internal, the
 *   coordd_task_wait_seconds histogram (submission → dispatch inside the daemon), taken as the
 *   difference of two /metrics scrapes, one just before the measured window and one after it (a
 *   scrape stalls the daemon for a few ms, so none happens inside the window). The daemon clocks
 *   it with Date.now() and its first bucket ends at 0.5 ms, so (b) is reported as the bucket bound
 *   that holds the quantile ("p99 <= x ms"); the target is judged on both (a) and (b).
 * The machine is shared: before each phase the bench waits (a few seconds at most) for other load
 * to pass, samples the whole machine's CPU during the window and flags a phase as disturbed when
 * anything besides the daemon and the generator used more than a quarter of a core.
 * At the end every task must be accounted for: agents' answers = accepted assigns = the daemon's
 * coordd_tasks_total{state="COMPLETED"}, nothing FAILED, CANCELLED or requeued, queue empty, no
 * slot in use (pool.status).
 *
 * Run: npm run bench:pool [-- --quick --strict --profile]   (writes bench/results/pool.json)
 *   --quick    short phases, for a smoke run
 *   --strict   exit 1 when a target is missed (errors always exit 1)
 *   --profile  start the daemon with --cpu-prof and print its top self-time functions
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { startDaemon, rpcCall, type DaemonChild } from './lib/pool-daemon.js';
import { PoolGeneratorProcess } from './lib/pool-generator-process.js';
import { histogramWindow, scrapeMetrics, value, type HistogramWindow, type Scrape } from './lib/pool-metrics.js';
import { monotonicUs, summarizeProfile, type ProfileSummary } from './lib/pool-profile.js';
import type { ClosedJob, OpenJob, PhaseResult, SetupResult } from './lib/pool-protocol.js';
import { CpuWindow, machineBusySeconds, processRssBytes } from './lib/process-cpu.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAEMON_BIN = join(HERE, '..', 'dist', 'bin', 'coordd.js');
const RESULTS = join(HERE, 'results', 'pool.json');

const TARGETS = { tasksPerSec: 5_000, dispatchP99Ms: 2 } as const;

const USAGE = 'usage: tsx bench/pool.ts [--quick] [--strict] [--profile] [--store=all|memory|sqlite-normal|sqlite-full]';
/** COORDD_STORE / COORDD_FSYNC per store mode; each runs on its own daemon and a fresh temp file. */
const STORES = { memory: { COORDD_STORE: 'memory' }, 'sqlite-normal': { COORDD_FSYNC: 'normal' }, 'sqlite-full': { COORDD_FSYNC: 'full' } } as const;
type StoreMode = keyof typeof STORES;
const storeArg =
  process.argv
    .slice(2)
    .find((a) => a.startsWith('--store='))
    ?.slice('--store='.length) ?? 'all';
if (storeArg !== 'all' && !(storeArg in STORES)) {
  console.error(`unknown store ${storeArg}; ${USAGE}`);
  process.exit(2);
}
const storeModes: StoreMode[] = storeArg === 'all' ? ['memory', 'sqlite-normal', 'sqlite-full'] : [storeArg as StoreMode];
const args = new Set(process.argv.slice(2).filter((a) => !a.startsWith('--store=')));
for (const a of args) {
  if (!['--quick', '--strict', '--profile'].includes(a)) {
    console.error(`unknown argument ${a}; ${USAGE}`);
    process.exit(2);
  }
}
const quick = args.has('--quick');
const strict = args.has('--strict');
const profile = args.has('--profile');

/** CPU (percent of one core) used by anything but the daemon and the generator above which a phase counts as disturbed. */
const DISTURBED_PERCENT = 25;
/** Longest wait, before each phase, for other load to pass (the bench stays under a minute). */
const QUIET_WAIT_MS = quick ? 2_000 : 8_000;

const PARAMS = {
  agents: 100,
  capacity: 4,
  operators: 4,
  taskType: 'noop',
  throughput: quick ? { window: 128, warmupMs: 300, durationMs: 1_500, drainMs: 5_000 } : { window: 128, warmupMs: 1_000, durationMs: 5_000, drainMs: 5_000 },
  latency: quick
    ? { rate: 1_000, warmupMs: 300, durationMs: 1_500, drainMs: 3_000, pacing: 'timer' as const }
    : { rate: 1_000, warmupMs: 1_000, durationMs: 5_000, drainMs: 3_000, pacing: 'timer' as const },
};

/**
 * The daemon as users run it, quiet: at info it logs every task state change (three lines per
 * task). Result validation stays off (its default).
 */
let DAEMON_ENV: Record<string, string> = { COORDD_LOG_LEVEL: 'warn' };
/** The store of the run in progress, and a line per finished run for the side-by-side summary. */
let storeMode: StoreMode = 'memory';
const summary: { store: StoreMode; tasksPerSec: number; dispatchP99Ms: number; queueWaitP99Ms: number; problems: number }[] = [];

/** What the daemon itself recorded between two /metrics scrapes around one measured window. */
interface DaemonWindow {
  completed: number;
  scrapeIntervalMs: number;
  /** Closed loop only (in open loop the interval includes the drain). */
  completedPerSec: number | undefined;
  queueWait: HistogramWindow;
  run: HistogramWindow;
  assignHandling: HistogramWindow;
}

interface Measured {
  result: PhaseResult;
  /** How long the phase waited for other load on the machine to pass before it started. */
  waitedForQuietMs: number;
  /** The measured window on the machine's monotonic clock (µs), to cut the daemon's CPU profile to it. */
  windowUs: { fromUs: number; toUs: number };
  daemon: DaemonWindow;
  daemonCpuPercent: number | undefined;
  machineCpuPercent: number | undefined;
  otherCpuPercent: number | undefined;
  daemonRssBytes: number | undefined;
}

/**
 * On a shared machine, give other load a moment to pass before a phase: wait (at most `maxMs`)
 * until the machine is below DISTURBED_PERCENT busy; the daemon and the generator are idle
 * between phases, so what shows is someone else's. Returns how long it waited.
 */
async function awaitQuiet(maxMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const busy = await machineBusyPercent(500);
    if (busy === undefined || busy <= DISTURBED_PERCENT) break;
  }
  return performance.now() - started;
}

async function measure(generator: PoolGeneratorProcess, daemon: DaemonChild, job: ClosedJob | OpenJob): Promise<Measured> {
  const waitedMs = await awaitQuiet(QUIET_WAIT_MS);
  process.stdout.write(`  ${job.label.padEnd(40)}`);
  const cpu = new CpuWindow(daemon.proc.pid);
  let before: { at: number; scrape: Promise<Scrape> } | undefined;
  let after: { at: number; scrape: Promise<Scrape> } | undefined;
  const scrape = (): { at: number; scrape: Promise<Scrape> } => ({ at: performance.now(), scrape: scrapeMetrics(daemon.httpUrl) });
  const windowUs = { fromUs: 0, toUs: 0 };
  const result = await generator.run(job, (edge) => {
    // A scrape costs the daemon a few ms of event loop: never inside the window. The "before" scrape
    // comes just ahead of it (its share of warm-up traffic is at the same steady rate); the "after"
    // one as the window closes in closed loop (later completions are the drain's), and once the
    // last task has run in open loop (where tasks due at the very end are still being dispatched).
    if (edge === 'prepare') before = scrape();
    else if (edge === 'start') {
      windowUs.fromUs = monotonicUs();
      cpu.begin();
    } else {
      windowUs.toUs = monotonicUs();
      cpu.end();
      if (job.kind === 'closed') after = scrape();
    }
  });
  if (job.kind === 'open') after = scrape();
  if (!before || !after) throw new Error(`${job.label}: the measured window never opened or closed`);
  const [b, a] = await Promise.all([before.scrape, after.scrape]);
  const completed = value(a, 'coordd_tasks_total', { state: 'COMPLETED' }) - value(b, 'coordd_tasks_total', { state: 'COMPLETED' });
  const scrapeIntervalMs = after.at - before.at;
  const daemonWindow: DaemonWindow = {
    completed,
    scrapeIntervalMs,
    completedPerSec: job.kind === 'closed' ? completed / (scrapeIntervalMs / 1000) : undefined,
    queueWait: histogramWindow(b, a, 'coordd_task_wait_seconds'),
    run: histogramWindow(b, a, 'coordd_task_run_seconds'),
    assignHandling: histogramWindow(b, a, 'coordd_rpc_request_duration_seconds', { method: 'pool.assign' }),
  };
  const other =
    cpu.machinePercent === undefined || cpu.percent === undefined ? undefined : Math.max(0, cpu.machinePercent - cpu.percent - result.clientCpuPercent);
  const summary =
    result.kind === 'closed'
      ? `${fmtInt(result.completedPerSec)} tasks/s`
      : `dispatch p50 ${fmtMs(result.dispatchMs.p50)}, p99 ${fmtMs(result.dispatchMs.p99)}`;
  process.stdout.write(`${summary}${result.errors.count > 0 ? `  (${result.errors.count} ERRORS)` : ''}\n`);
  return {
    result,
    waitedForQuietMs: Math.round(waitedMs),
    windowUs,
    daemon: daemonWindow,
    daemonCpuPercent: cpu.percent,
    machineCpuPercent: cpu.machinePercent,
    otherCpuPercent: other,
    daemonRssBytes: processRssBytes(daemon.proc.pid),
  };
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? `${n < 1 ? n.toFixed(3) : n.toFixed(2)} ms` : 'n/a');
const fmtPct = (n: number | undefined): string => (n === undefined ? 'n/a' : `${Math.round(n)}%`);
const fmtWait = (h: HistogramWindow): string => `${fmtMs(h.p50Ms)} / ${fmtMs(h.p99Ms)}  (p99 <= ${fmtMs(h.p99UpperBoundMs)})`;

/** How busy the whole machine is over `ms`, in percent of one core. */
async function machineBusyPercent(ms: number): Promise<number | undefined> {
  const before = machineBusySeconds();
  const started = performance.now();
  await sleep(ms);
  const after = machineBusySeconds();
  return before === undefined || after === undefined ? undefined : ((after - before) / ((performance.now() - started) / 1000)) * 100;
}

interface PoolStatus {
  agents: { total: number };
  capacity: { total: number; used: number };
  queue: { depth: number };
  tasks: { byState: Record<string, number> };
  latency: { queueWait: { p50: number; p95: number; p99: number }; run: { p50: number; p95: number; p99: number } };
}

/** The daemon's final account of the run, once it has processed the last answer. */
interface FinalAccount {
  status: PoolStatus;
  completedTotal: number;
  failedTotal: number;
  cancelledTotal: number;
  requeuesTotal: number;
  staleTotal: number;
}

async function finalAccount(daemon: DaemonChild, expectedCompleted: number): Promise<FinalAccount> {
  const deadline = performance.now() + 3_000;
  for (;;) {
    const [status, scrape] = await Promise.all([rpcCall<PoolStatus>(daemon.url, 'pool.status'), scrapeMetrics(daemon.httpUrl)]);
    const account = {
      status,
      completedTotal: value(scrape, 'coordd_tasks_total', { state: 'COMPLETED' }),
      failedTotal: value(scrape, 'coordd_tasks_total', { state: 'FAILED' }),
      cancelledTotal: value(scrape, 'coordd_tasks_total', { state: 'CANCELLED' }),
      requeuesTotal: value(scrape, 'coordd_task_requeues_total'),
      staleTotal: value(scrape, 'coordd_stale_epoch_reports_total'),
    };
    const settled = account.completedTotal >= expectedCompleted && status.capacity.used === 0 && status.queue.depth === 0;
    if (settled || performance.now() > deadline) return account;
    await sleep(50);
  }
}

function findProfile(dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  return file ? join(dir, file) : undefined;
}

async function main(): Promise<void> {
  for (const mode of storeModes) {
    storeMode = mode;
    const dir = mkdtempSync(join(os.tmpdir(), 'coordd-pool-store-'));
    DAEMON_ENV = { COORDD_LOG_LEVEL: 'warn', COORDD_STORE: `sqlite:${join(dir, 'coordd.db')}`, ...STORES[mode] };
    console.log(`\n=== store: ${mode} (${DAEMON_ENV.COORDD_STORE}${'COORDD_FSYNC' in STORES[mode] ? `, fsync ${DAEMON_ENV.COORDD_FSYNC}` : ''}) ===`);
    try {
      await runOnce();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (summary.length > 1) {
    const memory = summary.find((x) => x.store === 'memory');
    console.log('\nside by side (one run, same machine):');
    console.log(`  ${'store'.padEnd(14)}${'tasks/s'.padStart(10)}${'vs memory'.padStart(11)}${'dispatch p99'.padStart(14)}${'queue wait p99'.padStart(16)}`);
    for (const x of summary) {
      const ratio = memory ? `${Math.round((x.tasksPerSec / memory.tasksPerSec) * 100)}%` : '';
      console.log(
        `  ${x.store.padEnd(14)}${fmtInt(x.tasksPerSec).padStart(10)}${ratio.padStart(11)}${fmtMs(x.dispatchP99Ms).padStart(14)}${`<= ${fmtMs(x.queueWaitP99Ms)}`.padStart(16)}${x.problems ? '  (run not valid)' : ''}`,
      );
    }
    writeFileSync(
      join(dirname(RESULTS), 'pool-stores.json'),
      `${JSON.stringify({ bench: 'pool', mode: quick ? 'quick' : 'full', at: new Date().toISOString(), stores: summary }, null, 2)}\n`,
    );
  }
}

async function runOnce(): Promise<void> {
  if (!existsSync(DAEMON_BIN)) throw new Error(`${DAEMON_BIN} is missing: run npm run build (npm run bench:pool does)`);
  const machine = machineInfo();
  console.log(`coordd pool bench (${quick ? 'quick' : 'full'}) — ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}`);
  const busyBeforeStart = await machineBusyPercent(1_000);
  if (busyBeforeStart !== undefined && busyBeforeStart > DISTURBED_PERCENT) {
    console.log(`  warning: the machine is already ${Math.round(busyBeforeStart)}% busy before the bench starts; expect noisy numbers`);
  }
  const profileDir = profile ? mkdtempSync(join(os.tmpdir(), 'coordd-pool-profile-')) : undefined;
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];

  const generator = await PoolGeneratorProcess.start();
  let daemon: DaemonChild | undefined;
  try {
    daemon = await startDaemon(DAEMON_BIN, nodeArgs, DAEMON_ENV);
    const setup = await generator.run({
      kind: 'setup',
      label: 'setup',
      url: daemon.url,
      agents: PARAMS.agents,
      capacity: PARAMS.capacity,
      operators: PARAMS.operators,
      taskType: PARAMS.taskType,
    });
    console.log(
      `  ${'fleet'.padEnd(40)}${setup.agentsRegistered} agents × capacity ${PARAMS.capacity}, ${setup.operators} operators (${Math.round(setup.elapsedMs)} ms)`,
    );
    const inFlight = PARAMS.throughput.window * PARAMS.operators;
    const throughput = await measure(generator, daemon, { kind: 'closed', label: `throughput (closed loop, ${inFlight} in flight)`, ...PARAMS.throughput });
    const latency = await measure(generator, daemon, {
      kind: 'open',
      label: `dispatch latency (open loop @ ${fmtInt(PARAMS.latency.rate)}/s)`,
      ...PARAMS.latency,
    });
    const answered = throughput.result.answered + latency.result.answered;
    const account = await finalAccount(daemon, answered);
    const teardown = await generator.run({ kind: 'teardown', label: 'teardown' });
    const exitCode = await daemon.stop();
    const daemonLines = { count: daemon.lineCount(), first: daemon.firstLines() };
    daemon = undefined;
    const profileFile = findProfile(profileDir);
    // The throughput window only: where the daemon is busiest, without start-up, idle time or teardown.
    const profileSummary = profileFile ? summarizeProfile(profileFile, 30, throughput.windowUs) : undefined;
    report({ setup, throughput, latency, account, teardown, exitCode, daemonLines, machine, busyBeforeStart, profileFile, profileSummary });
  } finally {
    await Promise.allSettled([daemon?.stop(), generator.stop()]);
  }
}

interface Outcome {
  setup: SetupResult;
  throughput: Measured;
  latency: Measured;
  account: FinalAccount;
  teardown: { totalAnswered: number; totalAccepted: number; unexpectedMessages: number; errors: { count: number; samples: string[] } };
  exitCode: number | null;
  daemonLines: { count: number; first: string[] };
  machine: ReturnType<typeof machineInfo>;
  busyBeforeStart: number | undefined;
  profileFile: string | undefined;
  profileSummary: ProfileSummary | undefined;
}

/** Everything that must hold for the numbers to count; each failure is one line. */
function consistencyProblems(o: Outcome): string[] {
  const problems: string[] = [];
  const { status } = o.account;
  const answered = o.throughput.result.answered + o.latency.result.answered;
  const submitted = o.throughput.result.submitted + o.latency.result.submitted;
  if (o.setup.agentsRegistered !== PARAMS.agents) problems.push(`${o.setup.agentsRegistered} of ${PARAMS.agents} agents registered`);
  if (status.agents.total !== PARAMS.agents) problems.push(`pool.status shows ${status.agents.total} agents, expected ${PARAMS.agents}`);
  for (const m of [o.throughput, o.latency]) {
    if (m.result.unanswered > 0) problems.push(`${m.result.label}: ${m.result.unanswered} submitted tasks never reached an agent`);
    if (m.result.assignReplies !== m.result.submitted)
      problems.push(`${m.result.label}: ${m.result.submitted - m.result.assignReplies} pool.assign calls got no reply`);
  }
  if (answered !== submitted) problems.push(`agents answered ${answered} tasks, ${submitted} were submitted`);
  if (o.teardown.totalAccepted !== submitted) problems.push(`${o.teardown.totalAccepted} assigns accepted, ${submitted} submitted`);
  if (o.account.completedTotal !== answered) problems.push(`daemon counted ${o.account.completedTotal} COMPLETED, agents answered ${answered}`);
  if (o.account.failedTotal > 0 || (status.tasks.byState.FAILED ?? 0) > 0) problems.push(`${o.account.failedTotal} tasks FAILED`);
  if (o.account.cancelledTotal > 0) problems.push(`${o.account.cancelledTotal} tasks CANCELLED`);
  if (o.account.requeuesTotal > 0) problems.push(`${o.account.requeuesTotal} requeues`);
  if (status.queue.depth !== 0 || (status.tasks.byState.PENDING ?? 0) !== 0)
    problems.push(`queue not drained: depth ${status.queue.depth}, PENDING ${status.tasks.byState.PENDING}`);
  if (status.capacity.used !== 0 || (status.tasks.byState.IN_PROGRESS ?? 0) !== 0)
    problems.push(`still running: ${status.capacity.used} slots, IN_PROGRESS ${status.tasks.byState.IN_PROGRESS}`);
  if (o.exitCode !== 0) problems.push(`coordd exited with ${o.exitCode} on SIGTERM`);
  return problems;
}

function report(o: Outcome): void {
  const t = o.throughput;
  const l = o.latency;
  const targets = [
    {
      name: 'tasks/s end to end (closed loop)',
      value: t.result.completedPerSec,
      target: `>= ${fmtInt(TARGETS.tasksPerSec)}`,
      met: t.result.completedPerSec >= TARGETS.tasksPerSec,
    },
    {
      name: `dispatch p99, client-observed @ ${fmtInt(PARAMS.latency.rate)}/s (ms)`,
      value: l.result.dispatchMs.p99,
      target: `< ${TARGETS.dispatchP99Ms} ms`,
      met: l.result.dispatchMs.p99 < TARGETS.dispatchP99Ms,
    },
    {
      name: `dispatch p99, daemon queue wait @ ${fmtInt(PARAMS.latency.rate)}/s (ms, bucket bound)`,
      value: l.daemon.queueWait.p99UpperBoundMs,
      target: `< ${TARGETS.dispatchP99Ms} ms`,
      met: l.daemon.queueWait.p99UpperBoundMs < TARGETS.dispatchP99Ms,
    },
  ];
  const status = (met: boolean): string => (met ? 'met' : 'NOT MET');
  const r = (m: Measured): PhaseResult => m.result;
  const inFlight = PARAMS.throughput.window * PARAMS.operators;
  const rows: [string, string, string, string][] = [
    [`tasks/s end to end (closed loop, ${inFlight} in flight)`, fmtInt(r(t).completedPerSec), targets[0]!.target, status(targets[0]!.met)],
    ['  daemon COMPLETED/s (coordd_tasks_total, between scrapes)', fmtInt(t.daemon.completedPerSec ?? Number.NaN), '', ''],
    ['  pool.assign replies/s', fmtInt(r(t).assignRepliesPerSec), '', ''],
    ['  end to end p50 / p99 (assign sent → agent answered)', `${fmtMs(r(t).endToEndMs.p50)} / ${fmtMs(r(t).endToEndMs.p99)}`, '', ''],
    ['  dispatch p50 / p99, client (saturated: queueing)', `${fmtMs(r(t).dispatchMs.p50)} / ${fmtMs(r(t).dispatchMs.p99)}`, '', ''],
    ['  daemon queue wait p50 / p99 (saturated)', fmtWait(t.daemon.queueWait), '', ''],
    ['  daemon pool.assign handling p50 / p99', fmtWait(t.daemon.assignHandling), '', ''],
    [
      `dispatch p50 / p99, client @ ${fmtInt(PARAMS.latency.rate)}/s`,
      `${fmtMs(r(l).dispatchMs.p50)} / ${fmtMs(r(l).dispatchMs.p99)}`,
      targets[1]!.target,
      status(targets[1]!.met),
    ],
    ['  p99.9 / max', `${fmtMs(r(l).dispatchMs.p999)} / ${fmtMs(r(l).dispatchMs.max)}`, '', ''],
    ['  from scheduled send p50 / p99', `${fmtMs(r(l).dispatchFromScheduleMs!.p50)} / ${fmtMs(r(l).dispatchFromScheduleMs!.p99)}`, '', ''],
    [`  client send lag p99 (${PARAMS.latency.pacing} pacing)`, fmtMs(r(l).sendLagMs!.p99), '', ''],
    ['  generator GC pauses: count / max', `${r(l).clientGc.count} / ${fmtMs(r(l).clientGc.maxMs)}`, '', ''],
    [
      `  slowest ${r(l).slowestDispatches.length} overlapping a generator GC pause`,
      String(r(l).slowestDispatches.filter((x) => x.duringClientGc).length),
      '',
      '',
    ],
    [`daemon queue wait p50 / p99 @ ${fmtInt(PARAMS.latency.rate)}/s`, fmtWait(l.daemon.queueWait), targets[2]!.target, status(targets[2]!.met)],
    [`  dispatched within ${fmtMs(l.daemon.queueWait.firstBoundMs)}`, `${(l.daemon.queueWait.shareInFirstBucket * 100).toFixed(2)}%`, '', ''],
    ['  daemon pool.assign handling p50 / p99', fmtWait(l.daemon.assignHandling), '', ''],
    ['  end to end p50 / p99', `${fmtMs(r(l).endToEndMs.p50)} / ${fmtMs(r(l).endToEndMs.p99)}`, '', ''],
    ['  achieved tasks/s', fmtInt(r(l).completedPerSec), '', ''],
    [
      'pool.status latency.queueWait p50 / p99 (whole run)',
      `${fmtMs(o.account.status.latency.queueWait.p50 * 1000)} / ${fmtMs(o.account.status.latency.queueWait.p99 * 1000)}`,
      '',
      '',
    ],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((x) => x[i]!.length), ['metric', 'value', 'target'][i]!.length));
  const line = (x: readonly string[]): string => `${x[0]!.padEnd(widths[0]!)}  ${x[1]!.padStart(widths[1]!)}  ${x[2]!.padEnd(widths[2]!)}  ${x[3]}`.trimEnd();
  console.log();
  console.log(line(['metric', 'value', 'target', 'status']));
  console.log('-'.repeat(widths[0]! + widths[1]! + widths[2]! + 14));
  rows.forEach((x) => console.log(line(x)));

  console.log();
  console.log(`CPU in each measured window, percent of one core (the machine has ${o.machine.cpus * 100}%):`);
  let disturbed = 0;
  for (const [name, m] of [
    ['throughput', t],
    ['latency', l],
  ] as const) {
    const flag = (m.otherCpuPercent ?? 0) > DISTURBED_PERCENT;
    if (flag) disturbed++;
    const waited = m.waitedForQuietMs >= 1_000 ? `  (waited ${(m.waitedForQuietMs / 1000).toFixed(1)} s for other load to pass)` : '';
    const rss = m.daemonRssBytes === undefined ? 'n/a' : `${Math.round(m.daemonRssBytes / 2 ** 20)} MiB`;
    console.log(
      `  ${name.padEnd(10)} coordd ${fmtPct(m.daemonCpuPercent).padStart(5)}  generator ${fmtPct(m.result.clientCpuPercent).padStart(5)}  everything else ${fmtPct(m.otherCpuPercent).padStart(5)}  coordd RSS ${rss.padStart(8)}${flag ? '  (disturbed)' : ''}${waited}`,
    );
  }
  if (disturbed > 0)
    console.log(
      `  ${disturbed} phase(s) shared the machine with other load (> ${DISTURBED_PERCENT}% of a core): rerun on a quiet machine before trusting them.`,
    );

  const { status: st } = o.account;
  console.log();
  console.log(
    `accounting: ${fmtInt(o.teardown.totalAnswered)} answered by agents, ${fmtInt(o.teardown.totalAccepted)} assigns accepted, ${fmtInt(o.account.completedTotal)} COMPLETED (coordd_tasks_total); ` +
      `FAILED ${o.account.failedTotal}, requeues ${o.account.requeuesTotal}; pool.status: queue ${st.queue.depth}, slots used ${st.capacity.used}/${st.capacity.total}, ` +
      `byState ${JSON.stringify(st.tasks.byState)} (finished tasks retained: COORDD_TASK_RETENTION_COUNT, default 10,000)`,
  );
  const logged = o.daemonLines.first.filter((l) => !l.includes('"msg":"listening"'));
  if (logged.length > 0) {
    console.log(`coordd logged ${o.daemonLines.count - (o.daemonLines.first.length - logged.length)} line(s) at warn besides "listening":`);
    for (const l of logged.slice(0, 5)) console.log(`  ${l.slice(0, 240)}`);
  }

  if (o.profileSummary) {
    console.log(`\ncoordd CPU profile, throughput window (${fmtInt(o.profileSummary.totalMs)} ms, ${o.profileSummary.idlePercent}% idle), self time by area:`);
    console.log(`  (profile: ${o.profileFile})`);
    for (const a of o.profileSummary.areas.slice(0, 10)) console.log(`  ${a.percent.toFixed(1).padStart(5)}%  ${a.name}`);
    console.log('  top functions:');
    for (const f of o.profileSummary.functions.slice(0, 25)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }

  const problems = consistencyProblems(o);
  summary.push({
    store: storeMode,
    tasksPerSec: t.result.completedPerSec,
    dispatchP99Ms: l.result.dispatchMs.p99,
    queueWaitP99Ms: l.daemon.queueWait.p99UpperBoundMs,
    problems: problems.length,
  });
  const errors = [t.result, l.result].flatMap((x) => (x.errors.count > 0 ? [{ phase: x.label, ...x.errors }] : []));
  if (o.teardown.errors.count > 0) errors.push({ phase: 'fleet', ...o.teardown.errors });
  const results = {
    bench: 'pool',
    mode: quick ? 'quick' : 'full',
    machine: o.machine,
    machineBusyBeforeStartPercent: o.busyBeforeStart,
    store: storeMode,
    parameters: { ...PARAMS, daemonEnv: DAEMON_ENV, inFlight },
    targets: targets.map((x) => ({ ...x, value: Number(x.value.toFixed(3)) })),
    phases: {
      throughput: phaseJson(t),
      latency: phaseJson(l),
    },
    fleet: o.setup,
    account: o.account,
    totals: { answered: o.teardown.totalAnswered, accepted: o.teardown.totalAccepted },
    daemonExitCode: o.exitCode,
    daemonStdout: o.daemonLines,
    profile: o.profileSummary ? { file: o.profileFile, ...o.profileSummary } : undefined,
    problems,
    errors,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  const file = RESULTS.replace(/\.json$/, `-${storeMode}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${file}`);

  if (errors.length > 0 || problems.length > 0) {
    console.error('\nERRORS: the run is not valid.');
    for (const e of errors) console.error(`  ${e.phase}: ${e.count} error(s), e.g. ${e.samples.join(' | ')}`);
    for (const p of problems) console.error(`  ${p}`);
    process.exitCode = 1;
  } else if (strict && targets.some((x) => !x.met)) {
    console.error(
      `\nmissed: ${targets
        .filter((x) => !x.met)
        .map((x) => x.name)
        .join(', ')}`,
    );
    process.exitCode = 1;
  }
}

function phaseJson(m: Measured): object {
  return {
    ...m.result,
    daemon: m.daemon,
    waitedForQuietMs: m.waitedForQuietMs,
    daemonCpuPercent: m.daemonCpuPercent,
    machineCpuPercent: m.machineCpuPercent,
    otherCpuPercent: m.otherCpuPercent,
    disturbed: (m.otherCpuPercent ?? 0) > DISTURBED_PERCENT,
    daemonRssBytes: m.daemonRssBytes,
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
