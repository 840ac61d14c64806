import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deathSignalWrapper } from '../../src/spawn/spawner.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { until } from '../support/settled.js';
import { TestClient } from '../support/ws-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether a process is gone: no such pid, or a zombie nobody has reaped yet (it has exited). */
function gone(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .startsWith('Z');
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('spawned workers die with the daemon that spawned them, even by kill -9 (real processes)', function () {
  this.timeout(60_000);
  let daemon: DaemonProcess | undefined;
  const orphans: number[] = [];

  afterEach(async () => {
    if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null) await daemon.stop();
    for (const pid of orphans.splice(0)) if (!gone(pid)) process.kill(pid, 'SIGKILL');
  });

  async function spawnThenKill(env: Record<string, string>, params: object): Promise<number[]> {
    daemon = await startDaemon(env);
    const op = await TestClient.connect(daemon.url);
    const spawned = await op.request('pool.spawn', params);
    const pids: number[] = spawned.pids;
    orphans.push(...pids);
    expect(pids.every((pid) => !gone(pid))).to.equal(true);
    const exited = once(daemon.proc, 'exit');
    daemon.proc.kill('SIGKILL');
    await exited;
    return pids;
  }

  it('echo workers (the TypeScript AgentWorker) exit when their parent pipe closes', async () => {
    const pids = await spawnThenKill({}, { count: 2 });
    await until(() => pids.every(gone), `echo workers ${pids.join(', ')} to exit after the daemon was killed`);
  });

  it('a template that uses no coordd library is ended by the OS guard (setpriv --pdeathsig, Linux)', async function () {
    if (deathSignalWrapper().length === 0) {
      if (process.env.CI === 'true') throw new Error('setpriv (util-linux) is needed for this test under CI');
      console.warn('skipping: no setpriv with --pdeathsig on this machine');
      return this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'coordd-tpl-'));
    const templates = join(dir, 'templates.json');
    writeFileSync(templates, JSON.stringify({ plain: { command: process.execPath, args: [join(ROOT, 'test/fixtures/plain-worker.mjs')], restart: 'never' } }));
    const pids = await spawnThenKill({ COORDD_AGENT_TEMPLATES: templates }, { count: 1, template: 'plain' });
    await until(() => pids.every(gone), `plain worker ${pids.join(', ')} to exit after the daemon was killed`);
  });

  it('the echo worker exits 0 on end of file of stdin when COORDD_PARENT_PIPE=stdin, and not without it', async () => {
    daemon = await startDaemon();
    const worker = join(ROOT, 'dist/workers/echo-worker.js');
    expect(existsSync(worker)).to.equal(true);
    const start = (parentPipe: boolean) =>
      spawn(process.execPath, [worker], {
        env: { PATH: process.env.PATH ?? '', COORDD_URL: daemon!.url, ...(parentPipe ? { COORDD_PARENT_PIPE: 'stdin' } : {}) },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    const watching = start(true);
    const ignoring = start(false);
    orphans.push(watching.pid!, ignoring.pid!);
    const op = await TestClient.connect(daemon.url);
    const agents = async (): Promise<number> => (await op.request('pool.status', {})).agents.total;
    await until(async () => (await agents()) === 2, 'both workers to register');
    const exited = once(watching, 'exit');
    watching.stdin.end();
    ignoring.stdin.end();
    expect(await exited).to.deep.equal([0, null]);
    // The one not told to watch its stdin is still registered (it ignores EOF, as before).
    await until(async () => (await agents()) === 1, 'one agent left');
    expect(gone(ignoring.pid!)).to.equal(false);
    await op.close();
  });
});
