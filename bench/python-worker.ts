/**
 * Tasks/s through a Python worker (clients/python's AgentWorker) against the TypeScript
 * AgentWorker, on the same daemon in one run, and the per-task overhead of each.
 *
 * The built daemon (dist/bin/coordd.js, COORDD_LOG_LEVEL=warn) spawns both workers from templates
 * (`pool.spawn`, as in production): `python -m coordd.worker noop_worker:worker` and
 * `node --import tsx bench/lib/noop-worker.ts`, each one process with capacity 16, capabilities
 * `noop-py` / `noop-ts`; every task is a no-op (`null` result). This script is the operator: one
 * CoordClient connection submits `pool.assign {type: 'noop', requiredCapabilities, subscribe: true}`
 * and counts `task.updated` COMPLETED notifications.
 *
 * Phases, alternating py / ts / py / ts (the machine is shared: alternating spreads other load
 * over both), each:
 * - throughput: closed loop, 64 tasks outstanding (4 × capacity, so the worker's 16 slots stay
 *   full), N tasks; tasks/s = N / wall time. The worker process's CPU time over the phase / N is
 *   its CPU cost per task.
 * - latency: one task at a time (submit, wait for COMPLETED, next), M tasks; the median round trip.
 *   The Python worker's per-task overhead is its median minus the TypeScript worker's.
 *
 * Run: npm run bench:python [-- --quick]   (needs clients/python/.venv: `scripts/test-python.sh --install`;
 * writes bench/results/python-worker.json)
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordClient } from '../src/client/index.js';
import { machineInfo } from './lib/machine.js';
import { startDaemon } from './lib/pool-daemon.js';
import { machineBusySeconds, processCpuSeconds } from './lib/process-cpu.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const PYTHON = join(ROOT, 'clients', 'python', '.venv', 'bin', 'python');
const RESULTS = join(HERE, 'results', 'python-worker.json');
const quick = process.argv.includes('--quick');
const N = quick ? 1_000 : 5_000;
const M = quick ? 100 : 400;
const WINDOW = 64;
const ROUNDS = 2;

if (!existsSync(PYTHON)) {
  process.stderr.write(`bench:python: ${PYTHON} is missing; run scripts/test-python.sh --install first\n`);
  process.exit(1);
}

type Kind = 'py' | 'ts';
interface Phase {
  kind: Kind;
  round: number;
  tasksPerSec: number;
  workerCpuUsPerTask: number | undefined;
  latencyP50Ms: number;
  latencyP90Ms: number;
  machineBusyPercent: number | undefined;
}

const dir = mkdtempSync(join(os.tmpdir(), 'coordd-bench-python-'));
const templates = join(dir, 'templates.json');
writeFileSync(
  templates,
  JSON.stringify({
    'noop-py': {
      command: PYTHON,
      args: ['-m', 'coordd.worker', 'noop_worker:worker', '--log-level', 'warning'],
      cwd: join(HERE, 'lib'),
      env: { COORDD_CAPABILITIES: 'noop-py', COORDD_CAPACITY: '16' },
      restart: 'never',
    },
    'noop-ts': {
      command: process.execPath,
      args: ['--import', 'tsx', join(HERE, 'lib', 'noop-worker.ts')],
      cwd: ROOT,
      env: { COORDD_CAPABILITIES: 'noop-ts', COORDD_CAPACITY: '16' },
      restart: 'never',
    },
  }),
);

const daemon = await startDaemon(join(ROOT, 'dist', 'bin', 'coordd.js'), [], {
  COORDD_LOG_LEVEL: 'warn',
  COORDD_AGENT_TEMPLATES: templates,
  COORDD_SPAWN_TIMEOUT: '60',
  COORDD_TASK_RETENTION_COUNT: '1000',
});
const client = await CoordClient.connect({ url: daemon.url, requestTimeoutMs: 120_000 });
const done = new Map<string, () => void>();
const early = new Set<string>();
client.handle('task.updated', (params) => {
  const { taskId, state } = params as { taskId: string; state: string };
  if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`task ${taskId} ended ${state}`);
  if (state !== 'COMPLETED') return;
  const resolve = done.get(taskId);
  if (resolve) {
    done.delete(taskId);
    resolve();
  } else early.add(taskId); // completed before pool.assign's reply was read
});

async function runOne(capability: string): Promise<void> {
  const { taskId } = await client.request('pool.assign', { type: 'noop', requiredCapabilities: [capability], subscribe: true });
  if (early.delete(taskId)) return;
  await new Promise<void>((resolve) => done.set(taskId, resolve));
}

try {
  const pids: Record<Kind, number> = { py: 0, ts: 0 };
  for (const kind of ['py', 'ts'] as const) {
    const spawned = await client.request('pool.spawn', { count: 1, template: `noop-${kind}` }, { timeoutMs: 120_000 });
    pids[kind] = spawned.pids[0]!;
  }
  // Warm-up (JIT, first connections' buffers).
  for (const kind of ['py', 'ts'] as const) await Promise.all(Array.from({ length: 200 }, () => runOne(`noop-${kind}`)));

  const phases: Phase[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ['py', 'ts'] as const) {
      const capability = `noop-${kind}`;
      const cpu0 = processCpuSeconds(pids[kind]);
      const busy0 = machineBusySeconds();
      const t0 = performance.now();
      let submitted = 0;
      const lane = async (): Promise<void> => {
        while (submitted < N) {
          submitted++;
          await runOne(capability);
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = processCpuSeconds(pids[kind]);
      const busy1 = machineBusySeconds();
      const latencies: number[] = [];
      for (let i = 0; i < M; i++) {
        const s = performance.now();
        await runOne(capability);
        latencies.push(performance.now() - s);
      }
      latencies.sort((a, b) => a - b);
      const phase: Phase = {
        kind,
        round,
        tasksPerSec: Math.round(N / seconds),
        workerCpuUsPerTask: cpu0 !== undefined && cpu1 !== undefined ? Math.round(((cpu1 - cpu0) / N) * 1e6) : undefined,
        latencyP50Ms: Number(latencies[Math.floor(M * 0.5)]!.toFixed(3)),
        latencyP90Ms: Number(latencies[Math.floor(M * 0.9)]!.toFixed(3)),
        machineBusyPercent: busy0 !== undefined && busy1 !== undefined ? Math.round(((busy1 - busy0) / seconds) * 100) : undefined,
      };
      phases.push(phase);
      process.stdout.write(
        `${kind} round ${round}: ${phase.tasksPerSec} tasks/s, worker CPU ${phase.workerCpuUsPerTask} µs/task, ` +
          `round trip p50 ${phase.latencyP50Ms} ms p90 ${phase.latencyP90Ms} ms (machine busy ${phase.machineBusyPercent}% of one core)\n`,
      );
    }
  }
  const best = (kind: Kind): Phase => phases.filter((p) => p.kind === kind).sort((a, b) => b.tasksPerSec - a.tasksPerSec)[0]!;
  const median = (kind: Kind): number => {
    const v = phases
      .filter((p) => p.kind === kind)
      .map((p) => p.latencyP50Ms)
      .sort((a, b) => a - b);
    return v[Math.floor((v.length - 1) / 2)]!;
  };
  const summary = {
    tasksPerSec: { py: best('py').tasksPerSec, ts: best('ts').tasksPerSec, ratio: Number((best('py').tasksPerSec / best('ts').tasksPerSec).toFixed(2)) },
    workerCpuUsPerTask: { py: best('py').workerCpuUsPerTask, ts: best('ts').workerCpuUsPerTask },
    roundTripP50Ms: { py: median('py'), ts: median('ts'), pythonOverheadMs: Number((median('py') - median('ts')).toFixed(3)) },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ machine: machineInfo(), settings: { tasks: N, latencyTasks: M, window: WINDOW, capacity: 16, rounds: ROUNDS, quick }, phases, summary }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${RESULTS}\n`);
} finally {
  await client.close();
  await daemon.stop();
}
