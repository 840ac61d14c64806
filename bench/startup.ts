/**
 * Time to recover, end to end: the real daemon process (dist/) started on a SQLite file holding
 * 100,000 unfinished (half PENDING in three priorities, half IN_PROGRESS) and 1,000,000 finished
 * tasks, timed from spawn to its "listening" line (target < 5 s). Unfinished rows are spread
 * through the file (every 11th row), the worst case for locality.
 *
 * - `kept`: retention large enough to keep every finished task (COORDD_TASK_RETENTION_COUNT), the
 *   case of an operator who keeps a million results; run three times on the same file.
 * - `default retention`: the same file under the default retention (10,000 finished, one hour):
 *   the start-up must not pay for deleting 990,000 rows before it listens. Then the first request
 *   that reads finished tasks (`task.list`) pays for it: timed, and the file's size after a clean stop.
 * - `--cold` (root only): the page cache is dropped before each start, so the file is read from disk.
 *
 * The file is written with plain SQL in the store's row format (the store itself would take
 * minutes to write 1.1 million rows on this machine), then opened once by the store to check it.
 *
 * Run: npm run bench:startup   (writes bench/results/startup.json; STARTUP_BENCH_DIR picks the folder)
 *      npm run bench:startup -- --quick   (a tenth of every size)
 *      npm run bench:startup -- --file <db>   (build it there unless it exists; it is kept)
 *      npm run bench:startup -- --cold   (also start with a cold page cache: drops the machine's caches, root only)
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CoordClient } from '../src/client/index.js';
import type { TaskRecord } from '../src/pool/task-store.js';
import { SqliteDatabase } from '../src/stores/sqlite-database.js';
import { startDaemon } from '../test/support/daemon-process.js';
import { machineInfo } from './lib/machine.js';
import { processCpuSeconds } from './lib/process-cpu.js';
import { SUMMARISE_RESULT, summariseTask } from './lib/summarise-task.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, cold: { type: 'boolean' }, file: { type: 'string' }, runs: { type: 'string' } } });
const scale = args.quick ? 10 : 1;
const UNFINISHED = 100_000 / scale;
const FINISHED = 1_000_000 / scale;
const dir = mkdtempSync(join(process.env.STARTUP_BENCH_DIR ?? os.tmpdir(), 'coordd-bench-startup-'));

function record(i: number, state: 'PENDING' | 'IN_PROGRESS' | 'COMPLETED', now: number): TaskRecord {
  const base = summariseTask(i, { state, priority: i % 3, epoch: state === 'PENDING' ? 0 : 1, timeoutMs: 600_000, createdAt: now });
  if (state === 'PENDING') return base;
  const agentId = `agent-${i % 50}`;
  const attempt = { attempt: 1, agentId, epoch: 1, startedAt: now };
  if (state === 'IN_PROGRESS') return { ...base, agentId, startedAt: now, attempts: [{ ...attempt, outcome: 'running' }] };
  return { ...base, agentId, startedAt: now, finishedAt: now, result: SUMMARISE_RESULT, attempts: [{ ...attempt, outcome: 'completed', finishedAt: now }] };
}

/** Write the file in the SQLite task store's row format (see src/stores/sqlite-task-store.ts). */
function build(path: string): { seconds: number } {
  const started = performance.now();
  const database = new SqliteDatabase(path);
  const db = database.db;
  const insert = db.prepare(
    'INSERT INTO tasks (task_id, state, agent_id, idempotency_key, priority, finish_seq, done_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  let finishSeq = 0;
  let unfinished = 0;
  const total = UNFINISHED + FINISHED;
  for (let i = 0; i < total;) {
    db.transaction(() => {
      for (const end = Math.min(total, i + 50_000); i < end; i++) {
        const open = i % 11 === 10 && unfinished < UNFINISHED;
        const state = open ? (unfinished++ % 2 ? 'IN_PROGRESS' : 'PENDING') : 'COMPLETED';
        const t = record(i, state, now);
        const done = state === 'COMPLETED';
        insert.run(t.taskId, t.state, t.agentId ?? null, t.idempotencyKey, t.priority, done ? ++finishSeq : null, done ? now : null, JSON.stringify(t));
      }
    })();
  }
  const saveCount = db.prepare('INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)');
  for (const [state, n] of [
    ['COMPLETED', finishSeq],
    ['FAILED', 0],
    ['CANCELLED', 0],
  ] as const)
    saveCount.run(`tasks.finished.${state}`, n);
  db.pragma('wal_checkpoint(TRUNCATE)');
  database.close();
  if (unfinished !== UNFINISHED) throw new Error(`built ${unfinished} unfinished tasks, wanted ${UNFINISHED}`);
  return { seconds: (performance.now() - started) / 1000 };
}

const fileMiB = (path: string): number =>
  Math.round(['', '-wal'].reduce((sum, ext) => sum + (statSync(path + ext, { throwIfNoEntry: false })?.size ?? 0), 0) / 2 ** 20);

interface Run {
  scenario: string;
  toListeningSeconds: number;
  recoveredMs: number | undefined;
  daemonCpuSeconds: number | undefined;
  pending: number | undefined;
  inProgress: number | undefined;
  loadAverage: number;
  /** default retention: the first task.list, which deletes the finished tasks beyond retention. */
  firstListSeconds?: number;
  fileMiBAfterStop?: number;
}

/** Drop the page cache (root only), so the next start reads the file from disk. */
function dropCaches(): void {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

/** Spawn the daemon on `path`, time spawn → "listening", read what it recovered, kill it (-9: nothing more is written). */
async function startOnce(path: string, scenario: string, env: Record<string, string>, opts: { cold?: boolean; firstList?: boolean } = {}): Promise<Run> {
  if (opts.cold) dropCaches();
  const loadAverage = os.loadavg()[0]!;
  const started = performance.now();
  const daemon = await startDaemon({ COORDD_STORE: `sqlite:${path}`, COORDD_VALIDATE_RESULTS: 'false', ...env });
  const toListeningSeconds = (performance.now() - started) / 1000;
  const recovered = daemon.logs.find((l) => l.msg === 'state recovered');
  const cpu = processCpuSeconds(daemon.proc.pid!);
  let firstListSeconds: number | undefined;
  let fileMiBAfterStop: number | undefined;
  if (opts.firstList) {
    const client = await CoordClient.connect({ url: daemon.url, reconnect: false });
    const t0 = performance.now();
    await client.request('task.list', { limit: 1 }, { timeoutMs: 600_000 });
    firstListSeconds = Number(((performance.now() - t0) / 1000).toFixed(2));
    await client.close();
    await daemon.stop();
    fileMiBAfterStop = fileMiB(path);
  } else {
    daemon.proc.kill('SIGKILL');
    await new Promise((resolve) => daemon.proc.once('exit', resolve));
  }
  const run: Run = {
    scenario,
    toListeningSeconds: Number(toListeningSeconds.toFixed(2)),
    recoveredMs: recovered?.ms as number | undefined,
    daemonCpuSeconds: cpu === undefined ? undefined : Number(cpu.toFixed(2)),
    pending: recovered?.pending as number | undefined,
    inProgress: recovered?.inProgress as number | undefined,
    loadAverage: Number(loadAverage.toFixed(1)),
    ...(opts.firstList ? { firstListSeconds, fileMiBAfterStop } : {}),
  };
  console.log(`  ${scenario}: ${JSON.stringify(run)}`);
  return run;
}

async function main(): Promise<void> {
  const path = args.file ?? join(dir, 'startup.db');
  console.log(`start-up of the real daemon on ${UNFINISHED.toLocaleString('en')} unfinished + ${FINISHED.toLocaleString('en')} finished tasks`);
  const built = existsSync(path) ? undefined : build(path);
  if (built) console.log(`  built ${path} in ${built.seconds.toFixed(1)} s: ${fileMiB(path)} MiB`);
  // A copy for the default-retention run, which deletes; the timed runs must all see the same file.
  const copy = join(dir, 'startup-default-retention.db');
  copyFileSync(path, copy);
  const runs: Run[] = [];
  const keepAll = { COORDD_TASK_RETENTION_COUNT: String(FINISHED * 2), COORDD_TASK_RETENTION: String(30 * 86_400) };
  for (let i = 0; i < Number(args.runs ?? 3); i++) runs.push(await startOnce(path, 'kept', keepAll));
  const cold = args.cold && process.getuid?.() === 0;
  if (args.cold && !cold) console.log('  (--cold skipped: dropping the page cache needs root)');
  for (let i = 0; cold && i < Number(args.runs ?? 3); i++) runs.push(await startOnce(path, 'kept, cold cache', keepAll, { cold: true }));
  runs.push(await startOnce(copy, 'default retention', {}, { firstList: true }));
  const results = { machine: machineInfo(), unfinished: UNFINISHED, finished: FINISHED, fileMiB: fileMiB(path), buildSeconds: built?.seconds, runs };
  const out = fileURLToPath(new URL('./results/startup.json', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (args.file === undefined) rmSync(dir, { recursive: true, force: true });
  else rmSync(copy, { force: true });
}

await main();
