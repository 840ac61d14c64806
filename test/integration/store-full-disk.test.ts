import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordClient } from '../../src/client/index.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';

const isRoot = process.getuid?.() === 0;

/** Write zeros to `path` until the file system is full (ENOSPC); returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

/**
 * Issue 11, a failed write at daemon level on a real file system: the daemon's store lives on a
 * tiny tmpfs, which fills up while it runs. (A read-only remount is refused by Linux while the
 * daemon holds its files open for writing, so a full disk is the fault a running daemon meets.)
 */
describe('a full disk under the real daemon (tmpfs)', function () {
  this.timeout(60_000);
  let dir: string;
  let mnt: string;
  let mounted = false;
  let daemon: DaemonProcess | undefined;
  const clients: CoordClient[] = [];

  before(function () {
    if (!isRoot) {
      if (process.env.CI === 'true') throw new Error('CI runs as root (.ci/run): this test mounts a tmpfs and needs root');
      console.log('      (skipped: mounting a tmpfs needs root)');
      this.skip();
    }
  });
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'coordd-full-'));
    mnt = join(dir, 'data');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mount.status !== 0) {
      if (process.env.CI === 'true') throw new Error(`mount -t tmpfs failed: ${mount.stderr}`);
      console.log(`      (skipped: mount -t tmpfs failed: ${mount.stderr.trim()})`);
      this.skip();
    }
    mounted = true;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
      const gone = once(daemon.proc, 'exit');
      daemon.proc.kill('SIGKILL');
      await gone;
    }
    daemon = undefined;
    // Even when the test failed: the mount must not outlive it.
    if (mounted) spawnSync('umount', ['-l', mnt]);
    mounted = false;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers STORE_UNAVAILABLE for the turn that cannot be stored, flips /readyz to 503, stays up, and a good copy holds every acknowledged task', async () => {
    const dbPath = join(mnt, 'coordd.db');
    daemon = await startDaemon({ COORDD_STORE: `sqlite:${dbPath}`, COORDD_LOG_LEVEL: 'warn' });
    const op = await CoordClient.connect({ url: daemon.url, reconnect: false });
    clients.push(op);
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) acked.push((await op.assign({ type: 'before', payload: { i } })).taskId);
    expect((await fetch(`${daemon.httpUrl}/readyz`)).status).to.equal(200);

    // Mid-run, the disk fills up (another process takes every free byte).
    expect(fill(join(mnt, 'filler'))).to.be.greaterThan(0);
    let refused: { code?: number; data?: { reason?: string } } | undefined;
    // The WAL may still have room from before: writes succeed (and are acknowledged) until it must grow.
    for (let i = 0; i < 200 && !refused; i++) {
      try {
        acked.push((await op.assign({ type: 'after', payload: { pad: 'x'.repeat(64 * 1024), i } })).taskId);
      } catch (e) {
        refused = e as typeof refused;
      }
    }
    expect(refused?.code, JSON.stringify(refused)).to.equal(-32006);
    expect(refused?.data?.reason).to.be.oneOf(['DISK_FULL', 'IO']);
    expect((await fetch(`${daemon.httpUrl}/readyz`)).status).to.equal(503);
    // Still up and answering, refusing rather than acknowledging what it cannot store.
    expect((await fetch(`${daemon.httpUrl}/livez`)).status).to.equal(200);
    const again = await op.assign({ type: 'small' }).then(
      () => 'acknowledged',
      (e: { code?: number }) => e.code,
    );
    expect(again).to.equal(-32006);
    expect(daemon.proc.exitCode).to.equal(null);

    // Crash it, copy its file (and WAL) to a good disk, start there: every acknowledged task is there.
    const gone = once(daemon.proc, 'exit');
    daemon.proc.kill('SIGKILL');
    await gone;
    const good = join(dir, 'good');
    mkdirSync(good);
    for (const ext of ['', '-wal']) if (existsSync(dbPath + ext)) copyFileSync(dbPath + ext, join(good, `coordd.db${ext}`));
    daemon = await startDaemon({ COORDD_STORE: `sqlite:${join(good, 'coordd.db')}`, COORDD_LOG_LEVEL: 'warn' });
    const op2 = await CoordClient.connect({ url: daemon.url, reconnect: false });
    clients.push(op2);
    for (const taskId of acked) expect((await op2.getTask(taskId)).state, taskId).to.equal('PENDING');
    // And nothing that was refused: the failed turn was rolled back.
    const listed = (await op2.request('task.list', { limit: 1000 })) as { tasks: { taskId: string }[] };
    expect(listed.tasks.map((t) => t.taskId).sort()).to.deep.equal([...acked].sort());
    expect((await fetch(`${daemon.httpUrl}/readyz`)).status).to.equal(200);
  });
});
