/**
 * Why the SQLite store's dispatch p99 is above memory's, and what checkpointing in a thread of its
 * own changes: the time one event-loop turn's commit takes (the turn's replies and task.run requests
 * wait for it), in process, with the pool's write pattern at a fixed rate. Every millisecond one task
 * is created and dispatched (one commit) and one dispatched 4 ms earlier completes (another commit):
 * 1,000 tasks/s, 2,000 commits/s, the rate of bench:pool's latency phase. Default retention.
 *
 * Two ways, alternated in one run (the machine is shared: alternating spreads other load over both):
 * - inline: SQLite's automatic checkpoint (every 1,000 WAL pages one commit copies them into the
 *   database file and syncs it), as before;
 * - background: WalCheckpointer checkpoints from a worker thread every 100 ms; a commit checkpoints
 *   only past 4,096 WAL pages (it then finds almost everything copied already).
 *
 * Run: npm run bench:commit [-- --tasks 15000 --rounds 2 --fsync normal|full]
 *      (writes bench/results/commit-latency.json)
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TaskRecord } from '../src/pool/task-store.js';
import { SqliteDatabase, type FsyncMode } from '../src/stores/sqlite-database.js';
import { SqliteTaskStore } from '../src/stores/sqlite-task-store.js';
import { systemClock } from '../src/time/clock.js';
import { makeTask } from '../test/support/task-records.js';
import { machineInfo } from './lib/machine.js';

const { values: args } = parseArgs({ options: { tasks: { type: 'string' }, rounds: { type: 'string' }, fsync: { type: 'string' } } });
const TASKS = Number(args.tasks ?? 15_000);
const ROUNDS = Number(args.rounds ?? 2);
const FSYNC = (args.fsync ?? 'normal') as FsyncMode;
const dir = mkdtempSync(join(process.env.STORE_BENCH_DIR ?? os.tmpdir(), 'coordd-bench-commit-'));

const task = (): TaskRecord => makeTask({ createdAt: Date.now() });

interface Result {
  checkpoint: 'inline' | 'background';
  round: number;
  commits: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  over5Ms: number;
  walMiB: number;
  loadAverage: number;
}

async function run(checkpoint: Result['checkpoint'], round: number): Promise<Result> {
  const path = join(dir, `${checkpoint}-${round}.db`);
  const db = new SqliteDatabase(path, { fsync: FSYNC, backgroundCheckpoint: checkpoint === 'background' });
  const store = new SqliteTaskStore(db, { clock: systemClock });
  const times: number[] = [];
  const commit = (): void => {
    const started = performance.now();
    db.commit();
    times.push(performance.now() - started);
  };
  const running: TaskRecord[] = [];
  const loadAverage = os.loadavg()[0]!;
  for (let i = 0; i < TASKS; i++) {
    await sleep(1);
    const now = Date.now();
    const t = task();
    store.insert(t);
    const started: TaskRecord = {
      ...t,
      state: 'IN_PROGRESS',
      agentId: 'a',
      epoch: 1,
      startedAt: now,
      attempts: [{ attempt: 1, agentId: 'a', epoch: 1, startedAt: now, outcome: 'running' }],
    };
    store.update(started);
    commit();
    running.push(started);
    if (running.length <= 4) continue;
    const done = running.shift()!;
    store.update({
      ...done,
      state: 'COMPLETED',
      result: { ok: true },
      finishedAt: now,
      attempts: [{ ...done.attempts[0]!, outcome: 'completed', finishedAt: now }],
    });
    commit();
  }
  const walMiB = (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20;
  db.close();
  times.sort((a, b) => a - b);
  const q = (p: number): number => Number(times[Math.min(times.length - 1, Math.floor(times.length * p))]!.toFixed(3));
  const r: Result = {
    checkpoint,
    round,
    commits: times.length,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: Number(times.at(-1)!.toFixed(1)),
    over5Ms: times.filter((t) => t > 5).length,
    walMiB: Number(walMiB.toFixed(1)),
    loadAverage: Number(loadAverage.toFixed(1)),
  };
  console.log(
    `${checkpoint.padEnd(10)} round ${round}: commit p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, p99.9 ${r.p999Ms} ms, max ${r.maxMs} ms, ${r.over5Ms} of ${r.commits} over 5 ms; WAL file ${r.walMiB} MiB (load ${r.loadAverage})`,
  );
  return r;
}

const results: Result[] = [];
console.log(`commit latency at 1,000 tasks/s (2,000 commits/s), fsync ${FSYNC}, ${TASKS.toLocaleString('en')} tasks per run`);
for (let round = 1; round <= ROUNDS; round++) for (const c of ['inline', 'background'] as const) results.push(await run(c, round));
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'commit-latency.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ machine: machineInfo(), fsync: FSYNC, tasks: TASKS, results }, null, 2)}\n`);
console.log(`wrote ${out}`);
rmSync(dir, { recursive: true, force: true });
