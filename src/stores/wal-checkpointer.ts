import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.js';

/** How often the background thread checkpoints the WAL. @defaultValue 100 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;

/**
 * The thread's code, as a CommonJS script (eval'd, so it runs the same from src/ under tsx and
 * from dist/). Its own connection checkpoints PASSIVE: it copies committed WAL frames into the
 * database file without taking the write lock, so the daemon's commits never wait for it. It
 * keeps no timer of its own: it checkpoints when the daemon's Clock tells it to ('checkpoint'),
 * so tests drive it with a VirtualClock like every other timer in the daemon.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = ' + workerData.synchronous);
// Frames committed while a checkpoint runs are left for the next one; a few quick rounds catch up,
// so the WAL is often fully copied and the daemon's next write starts it again from the top.
const tick = () => {
  try {
    for (let round = 0; round < 4; round++) {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)');
      if (r.busy || r.log === r.checkpointed) return;
    }
  } catch {
    // Busy, or the disk failed: the daemon's own commits report failures; try again next tick.
  }
};
parentPort.on('message', (message) => {
  if (message === 'checkpoint') return tick();
  try { db.close(); } finally { process.exit(0); }
});
`;

/**
 * Checkpoints a WAL-mode SQLite file from a worker thread, so the daemon's event loop never runs
 * one. (With SQLite's automatic checkpoint, every ~1,000 WAL pages one commit also copies them into
 * the database file and, at synchronous=NORMAL, fsyncs it: that commit takes milliseconds to tens
 * of milliseconds, and the turn's replies and task.run requests wait for it.) The database turns its
 * automatic checkpoint off while this runs.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly timer: TimerHandle;

  /** `synchronous` as the daemon's connection has it (a checkpoint syncs accordingly). */
  constructor(
    path: string,
    synchronous: 'NORMAL' | 'FULL',
    intervalMs = DEFAULT_CHECKPOINT_INTERVAL_MS,
    private readonly clock: Clock = systemClock,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(SOURCE, { eval: true, workerData: { path, driver, synchronous } });
    // It must never keep the process alive, and its failure is not the daemon's.
    this.worker.unref();
    this.worker.on('error', () => undefined);
    this.timer = clock.setInterval(() => this.worker.postMessage('checkpoint'), intervalMs);
  }

  /** Stop checkpointing and close the thread's connection (asynchronously; nothing waits for it). */
  close(): void {
    this.clock.clearInterval(this.timer);
    this.worker.postMessage('close');
  }
}
