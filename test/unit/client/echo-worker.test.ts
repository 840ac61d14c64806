import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FakeDaemon, type FakeConnection } from '../../support/fake-daemon.js';

const WORKER = fileURLToPath(new URL('../../../src/workers/echo-worker.ts', import.meta.url));
const task = (taskId: string, payload: unknown) => ({ taskId, type: 'echo', payload, attempt: 2, epoch: 1, traceId: 'tr' });

describe('workers/echo-worker (a real process)', function () {
  this.timeout(20_000);
  let daemon: FakeDaemon;
  let child: ChildProcess;
  let conn: FakeConnection;

  before(async () => {
    daemon = await FakeDaemon.start({ token: 'join-1' });
    child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, COORDD_URL: daemon.url, COORDD_JOIN_TOKEN: 'join-1', COORDD_AGENT_ID: 'echo-7', COORDD_CAPACITY: '2' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    conn = await daemon.connection(0);
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await daemon.close();
  });

  it('registers from the environment with the echo defaults', async () => {
    expect(await conn.next('agent.register')).to.deep.equal({ agentId: 'echo-7', name: 'echo', type: 'echo', capabilities: ['echo'], capacity: 2 });
  });

  it('echoes the payload with taskId, attempt and pid', async () => {
    expect((await conn.request('task.run', task('t1', { hello: 'world' }))).result).to.deep.equal({
      echo: { hello: 'world' },
      taskId: 't1',
      attempt: 2,
      pid: child.pid,
    });
  });

  it('fails on request, retryable unless told otherwise', async () => {
    expect((await conn.request('task.run', task('t2', { fail: true }))).error.data).to.deep.equal({ retryable: true });
    expect((await conn.request('task.run', task('t3', { fail: true, retryable: false }))).error.data).to.deep.equal({ retryable: false });
  });

  it('cuts a sleep short on task.cancel', async () => {
    const reply = conn.request('task.run', task('t4', { sleepMs: 60_000 }));
    conn.notify('task.cancel', { taskId: 't4', epoch: 1 });
    expect((await reply).error).to.include({ code: -32000, message: 'cancelled' });
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).to.equal(0);
  });
});
