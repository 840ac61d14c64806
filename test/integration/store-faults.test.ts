import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SqliteDatabase } from '../../src/stores/sqlite-database.js';
import { SqliteTaskStore } from '../../src/stores/sqlite-task-store.js';
import { systemClock } from '../../src/time/clock.js';
import { makeTask } from '../support/task-records.js';

const CHILD = fileURLToPath(new URL('../support/store-fault-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface FaultReport {
  failedAt: string;
  code: string;
  before?: number;
  committed?: number;
  after?: { unfinished: number; size: number; pending: number; dirty: boolean };
  again?: string;
}

/** Run the fault child under `shell` setup (bash), or as `uid` when given; returns its report line. */
async function child(dbPath: string, opts: { prelude?: string; uid?: number } = {}): Promise<FaultReport> {
  const cmd = `${opts.prelude ?? ''} exec "${process.execPath}" --import tsx "${CHILD}" "${dbPath}"`;
  const { stdout } = await run('bash', ['-c', cmd], {
    cwd: ROOT,
    env: { ...process.env, HOME: tmpdir() },
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as FaultReport;
}

/** Open the file again without limits: it must be intact and hold exactly what was committed. */
function reopen(path: string): { unfinished: number; integrity: string } {
  const db = new SqliteDatabase(path);
  try {
    const integrity = db.db.pragma('integrity_check', { simple: true }) as string;
    return { unfinished: new SqliteTaskStore(db, { clock: systemClock }, { retentionCount: 10_000_000 }).unfinished().length, integrity };
  } finally {
    db.close();
  }
}

const isRoot = process.getuid?.() === 0;
/** Whether the unprivileged user can read this checkout (not when it lives under a private home). */
const nobodyCanRun = (): boolean =>
  spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CHILD)})`], { uid: 65534, gid: 65534 }).status === 0;

describe('SQLite store faults (real child processes, real files)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-fault-'));
    chmodSync(dir, 0o777);
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a full disk (a 1 MiB file size limit) fails a commit with a typed error and keeps every earlier commit', async () => {
    const path = join(dir, 'full.db');
    // SIGXFSZ ignored (Node ignores it too), so the write fails with EFBIG instead of killing the process.
    const report = await child(path, { prelude: "trap '' XFSZ; ulimit -f 1024;" });
    expect(report.code, JSON.stringify(report)).to.be.oneOf(['DISK_FULL', 'IO']);
    expect(report.committed).to.be.greaterThan(0);
    // Known state: the store reads exactly as of the last commit, with nothing left pending.
    expect(report.after).to.deep.equal({ unfinished: report.committed, size: report.committed, pending: report.committed, dirty: false });
    expect(report.again, 'a retry fails typed or succeeds, never untyped').to.be.oneOf(['DISK_FULL', 'IO', 'committed']);
    const extra = report.again === 'committed' ? 1 : 0;
    expect(reopen(path)).to.deep.equal({ unfinished: report.committed! + extra, integrity: 'ok' });
  });

  it('a full tmpfs (real ENOSPC) fails a commit with DISK_FULL and keeps every earlier commit', async function () {
    const mnt = join(dir, 'tmpfs');
    mkdirSync(mnt);
    if (!isRoot || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status !== 0) {
      console.log('      (skipped: mounting a tmpfs needs root and mount permission; the file size limit test covers this)');
      this.skip();
    }
    try {
      const path = join(mnt, 'full.db');
      const report = await child(path);
      expect(report.code, JSON.stringify(report)).to.be.oneOf(['DISK_FULL', 'IO']);
      expect(report.after!.unfinished).to.equal(report.committed);
      expect(report.after!.dirty).to.equal(false);
      const extra = report.again === 'committed' ? 1 : 0;
      expect(reopen(path)).to.deep.equal({ unfinished: report.committed! + extra, integrity: 'ok' });
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  for (const what of ['file', 'file and folder'] as const) {
    it(`a read-only ${what} fails with READ_ONLY, typed, and loses nothing`, async function () {
      if (isRoot && !nobodyCanRun()) {
        console.log('      (skipped: root ignores file modes and user nobody cannot read this checkout)');
        this.skip();
      }
      const folder = join(dir, what === 'file' ? 'f' : 'ff');
      mkdirSync(folder);
      const path = join(folder, 'ro.db');
      const seed = new SqliteDatabase(path);
      const store = new SqliteTaskStore(seed, { clock: systemClock });
      store.insert(makeTask({ taskId: 'kept', type: 't', payload: null, maxAttempts: 1, timeoutMs: 1000, createdAt: 0, traceId: 't' }));
      seed.close();
      rmSync(`${path}-wal`, { force: true });
      rmSync(`${path}-shm`, { force: true });
      chmodSync(path, 0o444);
      chmodSync(folder, what === 'file' ? 0o777 : 0o555);
      // Root ignores file modes, so the child drops to nobody to meet the read-only file.
      const report = await child(path, isRoot ? { uid: 65534 } : {});
      expect(report.code, JSON.stringify(report)).to.equal('READ_ONLY');
      if (report.failedAt !== 'open') expect(report.after).to.deep.include({ unfinished: 1, dirty: false });
      chmodSync(folder, 0o755);
      chmodSync(path, 0o644);
      expect(reopen(path)).to.deep.equal({ unfinished: 1, integrity: 'ok' });
    });
  }
});
