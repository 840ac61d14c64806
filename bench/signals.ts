/**
 * How many coordination.signal calls can one daemon take, and how fast does it answer?
 * Targets (2-core machine): >= 25,000 single-signal requests/s, >= 100,000 batched signals/s,
 * p99 < 5 ms at an offered 10,000 signals/s.
 *
 * Real sockets between separate processes: this script only orchestrates; it spawns the built
 * daemon (dist/bin/coordd.js, port 0), forks the load generator (bench/lib/load-generator.ts: the
 * measuring client never shares a process with a server) and, for one phase, spawns a bare `ws`
 * server that answers every frame with a fixed JSON-RPC-shaped reply (bench/lib/echo-server.ts). The same client code runs against both, so
 * coordd's single-signal rate is also printed as a fraction of the echo server's: how much of the
 * WebSocket floor the daemon keeps.
 *
 * Phases:
 * - single: closed loop, several connections each keeping a window of requests in flight.
 * - echo:   the single phase, unchanged, against the echo server.
 * - batch:  closed loop, batches of signals, a few in flight per connection; signals/s counts
 *           `accepted` from the replies.
 * - latency: open loop at a fixed offered rate; latency from each request's scheduled send time
 *           to its reply (no coordinated omission). It runs on a fresh daemon first filled, in
 *           batches, with the live set that rate holds in steady state (rate × the default 60 s
 *           TTL = 600,000 signals), so the heap and its GC work are those of a daemon that has
 *           been taking 10k/s for a minute, not of an empty one.
 * 10,000 distinct agentIds, all six signal types, random values. Any error reply fails the run.
 *
 * The whole machine's CPU is sampled alongside each phase: on a shared 2-core box, anything else
 * running shows up as "everything else" and the phase is flagged as disturbed. The VM's steal
 * time is sampled every 100 ms too (its worst interval explains most p99 misses), and the daemon's
 * own GC pauses over the latency phase are read from its /metrics before and after the phase.
 *
 * Run: npm run bench:signals [-- --quick --strict --profile --pacing=spin]   (writes bench/results/signals.json)
 *   --quick         short phases, for a smoke run
 *   --strict        exit 1 when a target is missed (errors always exit 1)
 *   --profile       start the daemon with --cpu-prof (profile written to a temp dir, path printed)
 *   --pacing=spin   pace the open loop by spinning on setImmediate instead of the default 1 ms timer
 *                   (sends exactly on schedule, but the client then uses a whole core; on 2 cores
 *                   that core is taken from the daemon being measured). With either pacing latency
 *                   is measured from the scheduled send time, so the client's lateness counts.
 */
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnListening, type ListeningChild } from './lib/child-process.js';
import { LoadGeneratorProcess } from './lib/load-generator-process.js';
import type { ClosedLoopJob, ClosedLoopResult, OpenLoopJob, OpenLoopResult, PrefillJob, PrefillResult } from './lib/load-protocol.js';
import { daemonGc, gcBetween, type GcByKind } from './lib/daemon-gc.js';
import { machineInfo } from './lib/machine.js';
import { CpuWindow, machineBusySeconds, processRssBytes } from './lib/process-cpu.js';
import { StealWatch } from './lib/steal.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAEMON_BIN = join(HERE, '..', 'dist', 'bin', 'coordd.js');
const ECHO_SERVER = join(HERE, 'lib', 'echo-server.ts');
const RESULTS = join(HERE, 'results', 'signals.json');

const TARGETS = { singleRequestsPerSec: 25_000, batchedSignalsPerSec: 100_000, p99Ms: 5, offeredRate: 10_000 } as const;

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--quick', '--strict', '--profile', '--pacing=spin', '--pacing=timer'].includes(a)) {
    console.error(`unknown argument ${a}; usage: tsx bench/signals.ts [--quick] [--strict] [--profile] [--pacing=spin|timer]`);
    process.exit(2);
  }
}
const quick = args.has('--quick');
const strict = args.has('--strict');
const profile = args.has('--profile');
// Timer pacing by default: on a 2-core machine a spinning client takes a whole core from the daemon it measures.
const pacing: OpenLoopJob['pacing'] = args.has('--pacing=spin') ? 'spin' : 'timer';

/** CPU (percent of one core) used by anything but the server and the client above which a phase counts as disturbed. */
const DISTURBED_PERCENT = 25;

/** The daemon's default COORDINATION_SIGNAL_TTL: how long a signal stays live (and in memory). */
const SIGNAL_TTL_SECONDS = 60;

const durations = quick
  ? { warmupMs: 300, durationMs: 1_500, latencyWarmupMs: 500, latencyDurationMs: 2_000 }
  : { warmupMs: 1_000, durationMs: 5_000, latencyWarmupMs: 1_000, latencyDurationMs: 10_000 };
/** Live signals before the latency phase: rate × TTL (a tenth of that in quick mode). */
const prefillSignals = TARGETS.offeredRate * SIGNAL_TTL_SECONDS * (quick ? 0.1 : 1);

const PARAMS = {
  agents: 10_000,
  single: { connections: 4, window: 128 },
  batch: { connections: 2, window: 4, batchSize: 1_000 },
  latency: { connections: 4, rate: TARGETS.offeredRate, drainMs: 3_000, pacing },
  prefill: { signals: prefillSignals, batchSize: 1_000, connections: 2, window: 4 },
  ...durations,
};

/**
 * The daemon as users run it; result validation stays off (its default). Log level info, not
 * warn: at warn the "listening" line (which carries the port) is not written. Nothing is logged
 * per request at info, only per connection.
 */
const DAEMON_ENV = { COORDD_PORT: '0', COORDD_LOG_LEVEL: 'info', COORDD_STORE: 'memory' };

type Measurable = ClosedLoopResult | OpenLoopResult;

interface Measured<R extends Measurable> {
  result: R;
  /** Server process CPU over the measured window, percent of one core. */
  serverCpuPercent: number | undefined;
  /** Whole machine's CPU over the measured window, percent of one core (cpus × 100 = all busy). */
  machineCpuPercent: number | undefined;
  /** Server resident memory when the phase ended. */
  serverRssBytes: number | undefined;
  /** CPU time the hypervisor took over the window (percent of one core), overall and in its worst 100 ms. */
  steal: { percent: number; worstIntervalPercent: number } | undefined;
}

async function measure<R extends Measurable>(generator: LoadGeneratorProcess, server: ListeningChild, job: ClosedLoopJob | OpenLoopJob): Promise<Measured<R>> {
  process.stdout.write(`  ${job.label.padEnd(34)}`);
  const cpu = new CpuWindow(server.proc.pid);
  const steal = new StealWatch();
  let stealResult: Measured<R>['steal'];
  const result = (await generator.run(job, (phase) => {
    if (phase === 'start') {
      cpu.begin();
      steal.start();
    } else {
      cpu.end();
      stealResult = steal.stop();
    }
  })) as R;
  const rate = result.mode === 'closed' ? `${fmtInt(result.signalsPerSec)} signals/s` : `p99 ${fmtMs(result.latencyMs.p99)}`;
  process.stdout.write(`${rate}${result.errors.count > 0 ? `  (${result.errors.count} ERRORS)` : ''}\n`);
  return { result, serverCpuPercent: cpu.percent, machineCpuPercent: cpu.machinePercent, serverRssBytes: processRssBytes(server.proc.pid), steal: stealResult };
}

function closedJob(label: string, url: string, kind: 'single' | 'batch'): ClosedLoopJob {
  const shape = kind === 'single' ? { ...PARAMS.single, batchSize: 1 } : PARAMS.batch;
  return { mode: 'closed', label, url, kind, ...shape, agents: PARAMS.agents, warmupMs: PARAMS.warmupMs, durationMs: PARAMS.durationMs };
}

function openJob(label: string, url: string): OpenLoopJob {
  return { mode: 'open', label, url, ...PARAMS.latency, agents: PARAMS.agents, warmupMs: PARAMS.latencyWarmupMs, durationMs: PARAMS.latencyDurationMs };
}

/** How busy the whole machine is over `ms`, in percent of one core. */
async function machineBusyPercent(ms: number): Promise<number | undefined> {
  const before = machineBusySeconds();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineBusySeconds();
  return before === undefined || after === undefined ? undefined : ((after - before) / ((performance.now() - started) / 1000)) * 100;
}

/** CPU used during a phase by anything other than its server and the load generator. */
function othersPercent(m: Measured<Measurable>): number | undefined {
  if (m.machineCpuPercent === undefined || m.serverCpuPercent === undefined) return undefined;
  return Math.max(0, m.machineCpuPercent - m.serverCpuPercent - m.result.clientCpuPercent);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => `${n < 1 ? n.toFixed(3) : n.toFixed(2)} ms`;
const fmtPct = (n: number | undefined): string => (n === undefined ? 'n/a' : `${Math.round(n)}%`);
/** "count (total ms, n > 10 ms)" for minor and major GCs. */
const fmtGc = (gc: GcByKind | undefined): string => {
  if (gc === undefined) return 'n/a';
  const one = (k: GcByKind[string] | undefined): string =>
    k === undefined || k.count === 0 ? '0' : `${k.count} (${k.totalMs.toFixed(0)} ms, ${k.over10Ms} > 10 ms)`;
  return `${one(gc.minor)} / ${one(gc.major)}`;
};

/** SIGTERM the daemon; it must exit 0 (graceful stop is part of the contract). */
async function stopDaemon(daemon: ListeningChild): Promise<void> {
  const code = await daemon.stop();
  if (code !== 0) throw new Error(`coordd exited with ${code} on SIGTERM; stderr: ${daemon.stderr()}`);
}

/** Fill a fresh daemon with the steady-state live set of the latency phase. */
async function runPrefill(generator: LoadGeneratorProcess, url: string): Promise<PrefillResult> {
  process.stdout.write(`  ${'fresh coordd, prefill'.padEnd(34)}`);
  const job: PrefillJob = { mode: 'prefill', label: 'prefill', url, ...PARAMS.prefill, agents: PARAMS.agents };
  const result = (await generator.run(job)) as PrefillResult;
  process.stdout.write(
    `${fmtInt(result.accepted)} signals in ${(result.elapsedMs / 1000).toFixed(1)} s${result.errors.count > 0 ? `  (${result.errors.count} ERRORS)` : ''}\n`,
  );
  return result;
}

async function main(): Promise<void> {
  if (!existsSync(DAEMON_BIN)) throw new Error(`${DAEMON_BIN} is missing: run npm run build (npm run bench:signals does)`);
  const machine = machineInfo();
  console.log(`coordd signals bench (${quick ? 'quick' : 'full'}) — ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}`);
  const busyBeforeStart = await machineBusyPercent(1_000);
  if (busyBeforeStart !== undefined && busyBeforeStart > DISTURBED_PERCENT) {
    console.log(`  warning: the machine is already ${Math.round(busyBeforeStart)}% busy before the bench starts; expect noisy numbers`);
  }

  const generator = await LoadGeneratorProcess.start();
  let daemon: ListeningChild | undefined;
  let echo: ListeningChild | undefined;
  try {
    const profileDir = profile ? mkdtempSync(join(os.tmpdir(), 'coordd-bench-profile-')) : undefined;
    const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    daemon = await spawnListening('coordd', [...nodeArgs, DAEMON_BIN], DAEMON_ENV);
    echo = await spawnListening('echo server', ['--import', import.meta.resolve('tsx'), ECHO_SERVER], {});
    const single = await measure<ClosedLoopResult>(generator, daemon, closedJob('coordd single-signal', daemon.url, 'single'));
    // Right after coordd's run, so both see the same machine; the idle daemon costs nothing meanwhile.
    const echoSingle = await measure<ClosedLoopResult>(generator, echo, closedJob('echo server (same client)', echo.url, 'single'));
    await echo.stop();
    echo = undefined;
    const batch = await measure<ClosedLoopResult>(generator, daemon, closedJob('coordd batched', daemon.url, 'batch'));
    let daemonLogLines = daemon.lines();
    await stopDaemon(daemon);

    daemon = await spawnListening('coordd', [...nodeArgs, DAEMON_BIN], DAEMON_ENV);
    const prefill = await runPrefill(generator, daemon.url);
    // The daemon's own GC over the whole latency phase (warm-up, window, drain), read from its
    // /metrics before and after (not inside the window: a scrape costs it a millisecond or two).
    const gcBefore = await daemonGc(daemon.port);
    const latency = await measure<OpenLoopResult>(generator, daemon, openJob(`coordd latency @ ${fmtInt(PARAMS.latency.rate)}/s`, daemon.url));
    const gcAfter = await daemonGc(daemon.port);
    const daemonGcInLatency = gcBefore && gcAfter ? gcBetween(gcBefore, gcAfter) : undefined;
    daemonLogLines += daemon.lines();
    await stopDaemon(daemon);
    daemon = undefined;
    if (profileDir) console.log(`  daemon CPU profiles (one per daemon) written to ${profileDir}`);

    report({ single, batch, prefill, latency, echoSingle, daemonLogLines, machine, busyBeforeStart, daemonGcInLatency });
  } finally {
    await Promise.allSettled([daemon?.stop(), echo?.stop(), generator.stop()]);
  }
}

interface Outcome {
  single: Measured<ClosedLoopResult>;
  batch: Measured<ClosedLoopResult>;
  prefill: PrefillResult;
  latency: Measured<OpenLoopResult>;
  echoSingle: Measured<ClosedLoopResult>;
  daemonLogLines: number;
  machine: ReturnType<typeof machineInfo>;
  busyBeforeStart: number | undefined;
  daemonGcInLatency: GcByKind | undefined;
}

function report(o: Outcome): void {
  const lat = o.latency.result.latencyMs;
  const ratio = o.single.result.repliesPerSec / o.echoSingle.result.repliesPerSec;
  const targets = [
    {
      name: 'single-signal requests/s',
      value: o.single.result.repliesPerSec,
      target: `>= ${fmtInt(TARGETS.singleRequestsPerSec)}`,
      met: o.single.result.repliesPerSec >= TARGETS.singleRequestsPerSec,
    },
    {
      name: 'batched signals/s',
      value: o.batch.result.signalsPerSec,
      target: `>= ${fmtInt(TARGETS.batchedSignalsPerSec)}`,
      met: o.batch.result.signalsPerSec >= TARGETS.batchedSignalsPerSec,
    },
    {
      name: `p99 latency @ ${fmtInt(TARGETS.offeredRate)}/s (ms)`,
      value: lat.p99,
      target: `< ${TARGETS.p99Ms} ms`,
      met: lat.p99 < TARGETS.p99Ms && o.latency.result.lost === 0,
    },
  ];
  const status = (met: boolean): string => (met ? 'met' : 'NOT MET');
  const fromSend = o.latency.result.latencyFromSendMs;
  const lag = o.latency.result.sendLagMs;

  const rows: [string, string, string, string][] = [
    ['single-signal requests/s', fmtInt(o.single.result.repliesPerSec), targets[0]!.target, status(targets[0]!.met)],
    ['batched signals/s', fmtInt(o.batch.result.signalsPerSec), targets[1]!.target, status(targets[1]!.met)],
    [`  batches/s (${fmtInt(PARAMS.batch.batchSize)} signals each)`, fmtInt(o.batch.result.repliesPerSec), '', ''],
    [`latency p50 @ ${fmtInt(PARAMS.latency.rate)}/s offered`, fmtMs(lat.p50), '', ''],
    ['latency p95', fmtMs(lat.p95), '', ''],
    ['latency p99', fmtMs(lat.p99), targets[2]!.target, status(targets[2]!.met)],
    ['latency p99.9 / max', `${fmtMs(lat.p999)} / ${fmtMs(lat.max)}`, '', ''],
    ['  p50 / p99 from actual send', `${fmtMs(fromSend.p50)} / ${fmtMs(fromSend.p99)}`, '', ''],
    [`  client send lag p99 / max (${pacing})`, `${fmtMs(lag.p99)} / ${fmtMs(lag.max)}`, '', ''],
    ['  client GC pauses: count / max', `${o.latency.result.clientGc.count} / ${fmtMs(o.latency.result.clientGc.maxMs)}`, '', ''],
    ['  daemon GC, whole phase: minor / major', fmtGc(o.daemonGcInLatency), '', ''],
    ['  achieved rate / lost replies', `${fmtInt(o.latency.result.achievedRate)}/s / ${o.latency.result.lost}`, '', ''],
    ['  live signals preloaded (fresh daemon)', fmtInt(o.prefill.accepted), '', ''],
    ['echo server requests/s (same client)', fmtInt(o.echoSingle.result.repliesPerSec), '', ''],
    ['coordd / echo ratio (single-signal)', ratio.toFixed(2), '', ''],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['metric', 'value', 'target'][i]!.length));
  const line = (r: readonly string[]): string => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`.trimEnd();
  console.log();
  console.log(line(['metric', 'value', 'target', 'status']));
  console.log('-'.repeat(widths[0]! + widths[1]! + widths[2]! + 14));
  rows.forEach((r) => console.log(line(r)));

  console.log();
  console.log(`CPU in each measured window, percent of one core (the machine has ${o.machine.cpus * 100}%); server memory at the end:`);
  const phases = [
    ['single', o.single],
    ['echo', o.echoSingle],
    ['batch', o.batch],
    ['latency', o.latency],
  ] as const;
  let disturbed = 0;
  for (const [name, m] of phases) {
    const others = othersPercent(m);
    const flag = others !== undefined && others > DISTURBED_PERCENT;
    if (flag) disturbed++;
    const rss = m.serverRssBytes === undefined ? 'n/a' : `${Math.round(m.serverRssBytes / 2 ** 20)} MiB`;
    const steal = m.steal === undefined ? 'n/a' : `${fmtPct(m.steal.percent)} (worst 100 ms: ${fmtPct(m.steal.worstIntervalPercent)})`;
    console.log(
      `  ${name.padEnd(8)} server ${fmtPct(m.serverCpuPercent).padStart(5)}  client ${fmtPct(m.result.clientCpuPercent).padStart(5)}  everything else ${fmtPct(others).padStart(5)}  server RSS ${rss.padStart(8)}  VM steal ${steal}${flag ? '  (disturbed)' : ''}`,
    );
  }
  if (disturbed > 0)
    console.log(
      `  ${disturbed} phase(s) shared the machine with other load (> ${DISTURBED_PERCENT}% of a core): rerun on a quiet machine before trusting them.`,
    );

  const errors = [...phases.map(([, m]) => m.result), o.prefill].flatMap((r) => (r.errors.count > 0 ? [{ phase: r.label, ...r.errors }] : []));
  const results = {
    bench: 'signals',
    mode: quick ? 'quick' : 'full',
    machine: o.machine,
    machineBusyBeforeStartPercent: o.busyBeforeStart,
    parameters: PARAMS,
    targets: targets.map((t) => ({ ...t, value: Number(t.value.toFixed(3)) })),
    coorddToEchoRatio: Number(ratio.toFixed(4)),
    prefill: o.prefill,
    daemonGcInLatencyPhase: o.daemonGcInLatency,
    phases: Object.fromEntries(
      phases.map(([name, m]) => [name, { ...m, otherLoadPercent: othersPercent(m), disturbed: (othersPercent(m) ?? 0) > DISTURBED_PERCENT }]),
    ),
    daemonStdoutLines: o.daemonLogLines,
    errors,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);

  if (errors.length > 0) {
    console.error('\nERRORS: the daemon answered with errors (or not at all); the numbers above are not valid.');
    for (const e of errors) console.error(`  ${e.phase}: ${e.count} error(s), e.g. ${e.samples.join(' | ')}`);
    process.exitCode = 1;
  } else if (strict && targets.some((t) => !t.met)) {
    console.error(
      `\nmissed: ${targets
        .filter((t) => !t.met)
        .map((t) => t.name)
        .join(', ')}`,
    );
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
