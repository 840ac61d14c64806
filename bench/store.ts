/**
 * The durable store's costs, in process (no daemon, no sockets):
 * - group commit: tasks/s for create + start + complete, committed once per batch (one batch is one
 *   event-loop turn's writes), for memory, sqlite normal and sqlite full;
 * - recovery: opening a file with 100,000 unfinished and 1,000,000 finished tasks until the queue
 *   is rebuilt in memory (target < 5 s);
 * - file size: 1,000,000 tasks through the store with the default retention, sampled every
 *   100,000, to show it stops growing.
 *
 * Run: npm run bench:store   (writes bench/results/store.json; STORE_BENCH_DIR picks the folder)
 *      npm run bench:store -- --quick   (a tenth of every size)
 *      npm run bench:store -- --recovery-file <db>   (only time loading a file built before)
 *      npm run bench:store -- --growth-only   (only the file size under retention)
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryTaskStore } from '../src/pool/memory-task-store.js';
import type { TaskRecord, TaskStore } from '../src/pool/task-store.js';
import { recoverTasks } from '../src/stores/recovered-tasks.js';
import { SqliteDatabase, type FsyncMode } from '../src/stores/sqlite-database.js';
import { SqliteTaskStore } from '../src/stores/sqlite-task-store.js';
import { systemClock } from '../src/time/clock.js';
import { SUMMARISE_RESULT, summariseTask } from './lib/summarise-task.js';

const dir = mkdtempSync(join(process.env.STORE_BENCH_DIR ?? os.tmpdir(), 'coordd-bench-store-'));
let n = 0;

const task = (priority = 0): TaskRecord => summariseTask(++n, { priority });

/** create + start + complete one task, as the pool would (three whole-record writes). */
function lifecycle(store: TaskStore, t: TaskRecord, now: number): void {
  store.insert(t);
  const running: TaskRecord = {
    ...t,
    state: 'IN_PROGRESS',
    agentId: 'agent-7',
    epoch: 1,
    startedAt: now,
    attempts: [{ attempt: 1, agentId: 'agent-7', epoch: 1, startedAt: now, outcome: 'running' }],
  };
  store.update(running);
  store.update({
    ...running,
    state: 'COMPLETED',
    result: SUMMARISE_RESULT,
    finishedAt: now,
    attempts: [{ ...running.attempts[0]!, outcome: 'completed', finishedAt: now }],
  });
}

const fileBytes = (path: string): number => ['', '-wal'].reduce((sum, ext) => sum + (statSync(path + ext, { throwIfNoEntry: false })?.size ?? 0), 0);

function throughput(
  mode: 'memory' | FsyncMode,
  batch: number,
  tasks: number,
): { mode: string; batch: number; tasks: number; tasksPerSecond: number; commitsPerSecond: number } {
  const path = join(dir, `throughput-${mode}-${batch}.db`);
  const db = mode === 'memory' ? undefined : new SqliteDatabase(path, { fsync: mode });
  const store = db ? new SqliteTaskStore(db, { clock: systemClock }) : new MemoryTaskStore({ clock: systemClock });
  const start = process.hrtime.bigint();
  for (let i = 0; i < tasks; i += batch) {
    const now = Date.now();
    for (let j = 0; j < batch; j++) lifecycle(store, task(), now);
    db?.commit();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  db?.close();
  return { mode, batch, tasks, tasksPerSecond: Math.round(tasks / seconds), commitsPerSecond: Math.round(tasks / batch / seconds) };
}

/** Build (unless `existing` names a file built before) and time loading it. */
function recovery(unfinished: number, finished: number, existing?: string): Record<string, number> {
  const path = existing ?? join(dir, 'recovery.db');
  const keepAll = { retentionCount: 10_000_000, retentionMs: 30 * 86_400_000 };
  let db: SqliteDatabase;
  let store: SqliteTaskStore;
  const t0 = process.hrtime.bigint();
  for (let i = 0; existing === undefined && i < finished + unfinished; i++) {
    if (i === 0) {
      db = new SqliteDatabase(path);
      store = new SqliteTaskStore(db, { clock: systemClock }, keepAll);
    }
    // Unfinished tasks spread through the file, as in a long-running queue.
    if (i % 11 === 10) {
      const t = task(i % 3);
      store!.insert(t);
      if (i % 2) store!.update({ ...t, state: 'IN_PROGRESS', agentId: `agent-${i % 50}`, epoch: 1 });
    } else lifecycle(store!, task(), Date.now());
    if (i % 10_000 === 9_999) db!.commit();
  }
  if (existing === undefined) db!.close();
  const buildSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  db = new SqliteDatabase(path);
  store = new SqliteTaskStore(db, { clock: systemClock }, keepAll);
  const recovered = recoverTasks(store);
  const loadSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const counts = store.countByState();
  db.close();
  return {
    unfinished: recovered.pending.length + recovered.inProgress.length,
    pending: recovered.pending.length,
    inProgress: recovered.inProgress.length,
    finished: counts.COMPLETED,
    fileMiB: Math.round(fileBytes(path) / 2 ** 20),
    buildSeconds: existing === undefined ? Number(buildSeconds.toFixed(1)) : -1,
    loadSeconds: Number(loadSeconds.toFixed(2)),
    // CPU this process got while loading: on a shared machine wall time is also waiting for a core.
    loadCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  };
}

function growth(total: number, every: number): { tasks: number; fileMiB: number; freePages: number }[] {
  const path = join(dir, 'growth.db');
  const db = new SqliteDatabase(path);
  const store = new SqliteTaskStore(db, { clock: systemClock });
  const samples: { tasks: number; fileMiB: number; freePages: number }[] = [];
  for (let i = 1; i <= total; i++) {
    lifecycle(store, task(), Date.now());
    if (i % 100 === 0) db.commit();
    if (i % every === 0) {
      db.db.pragma('wal_checkpoint(TRUNCATE)');
      samples.push({
        tasks: i,
        fileMiB: Number((fileBytes(path) / 2 ** 20).toFixed(1)),
        freePages: db.db.pragma('freelist_count', { simple: true }) as number,
      });
      console.log(`  ${i.toLocaleString('en')} tasks: ${samples.at(-1)!.fileMiB} MiB, ${samples.at(-1)!.freePages} free pages, retained ${store.size()}`);
    }
  }
  db.close();
  return samples;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const scale = quick ? 10 : 1;
  const at = process.argv.indexOf('--recovery-file');
  if (at > 0) {
    // Time loading a file a full run built (copied before the run deleted it): start-up only.
    console.log(`recovery: ${JSON.stringify(recovery(0, 0, process.argv[at + 1]))}`);
    return;
  }
  if (process.argv.includes('--growth-only')) {
    const sizes = growth(1_000_000 / scale, 100_000 / scale);
    console.log(`growth: ${JSON.stringify(sizes)}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const rows = [];
  for (const batch of [1, 10, 100, 1000]) {
    for (const mode of ['memory', 'normal', 'full'] as const) {
      const r = throughput(mode, batch, Math.max(batch, (mode === 'full' && batch === 1 ? 5_000 : 50_000) / scale));
      console.log(
        `group commit ${r.mode} batch ${r.batch}: ${r.tasksPerSecond.toLocaleString('en')} tasks/s (${r.commitsPerSecond.toLocaleString('en')} commits/s)`,
      );
      rows.push(r);
    }
  }
  const rec = recovery(100_000 / scale, 1_000_000 / scale);
  console.log(`recovery: ${JSON.stringify(rec)}`);
  const sizes = growth(1_000_000 / scale, 100_000 / scale);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', quick ? 'store-quick.json' : 'store.json');
  mkdirSync(dirname(out), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, throughput: rows, recovery: rec, growth: sizes }, null, 2)}\n`);
  console.log(`wrote ${out}`);
  rmSync(dir, { recursive: true, force: true });
}

main();
