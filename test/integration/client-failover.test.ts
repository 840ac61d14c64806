import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentWorker, CoordClient, type Registration } from '../../src/client/index.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { freePort } from '../support/redis-server.js';
import { until } from '../support/settled.js';

const FAST = { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0.2 };

/**
 * The client with a list of URLs against real daemons (issue 12's client side): it moves on to
 * the next URL when its daemon goes, and an agent re-registers there with the task it still runs.
 */
describe('client failover across URLs (real daemons)', function () {
  this.timeout(60_000);
  const daemons: DaemonProcess[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-failover-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const daemon = async (env: Record<string, string> = {}): Promise<DaemonProcess> => {
    const d = await startDaemon({ COORDD_LOG_LEVEL: 'warn', ...env });
    daemons.push(d);
    return d;
  };

  it('an operator client continues on daemon B when daemon A stops', async () => {
    const [a, b] = await Promise.all([daemon(), daemon()]);
    const client = await CoordClient.connect({ url: [a.url, b.url], reconnect: FAST });
    closers.push(() => client.close());
    expect(client.url).to.equal(a.url);
    await client.assign({ type: 'job', payload: { on: 'a' } });
    const reconnected = once(client, 'reconnect');
    await a.stop();
    await reconnected;
    expect(client.url).to.equal(b.url);
    const record = await client.assign({ type: 'job', payload: { on: 'b' } });
    expect((await client.getTask(record.taskId)).payload).to.deep.equal({ on: 'b' });
  });

  it('connects to B when A is not running at all', async () => {
    const deadUrl = `ws://127.0.0.1:${await freePort()}/rpc`;
    const b = await daemon();
    const client = await CoordClient.connect({ url: [deadUrl, b.url], reconnect: FAST });
    closers.push(() => client.close());
    expect(client.url).to.equal(b.url);
    expect((await client.request('pool.status')).agents.total).to.equal(0);
  });

  it('an agent killed away from daemon A re-registers on the next URL with its running task, which completes once', async () => {
    // A and its successor B share one SQLite file (B starts once A is dead), like a new leader that
    // loads the state the old one committed; the agent is told both URLs.
    const store = { COORDD_STORE: `sqlite:${join(dir, 'coordd.db')}`, COORDD_REATTACH_GRACE: '30' };
    const bPort = await freePort();
    const a = await daemon(store);
    const bUrl = `ws://127.0.0.1:${bPort}/rpc`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runs: { taskId: string; epoch: number }[] = [];
    const registrations: { registration: Registration; reregistered: boolean; url: string }[] = [];
    const worker = new AgentWorker({
      url: [a.url, bUrl],
      agentId: 'mover',
      capabilities: ['job'],
      capacity: 1,
      reconnect: FAST,
      handler: async (task) => {
        runs.push({ taskId: task.taskId, epoch: task.epoch });
        await gate;
        return { done: task.taskId };
      },
    });
    worker.on('registered', (registration, info) => registrations.push({ registration, reregistered: info.reregistered, url: worker.client.url }));
    closers.push(() => worker.stop());
    await worker.start();
    const opA = await CoordClient.connect({ url: a.url, reconnect: false });
    const { taskId } = await opA.assign({ type: 'job', requiredCapabilities: ['job'], idempotencyKey: 'move-1' });
    await until(() => runs.length === 1, 'the task to start on the agent');
    await opA.close().catch(() => undefined);
    const gone = once(a.proc, 'exit');
    a.proc.kill('SIGKILL');
    await gone;
    const b = await daemon({ ...store, COORDD_PORT: String(bPort) });
    await until(() => registrations.length === 2, 'the agent to re-register on B');
    expect(registrations[1]).to.deep.include({ reregistered: true, url: b.url });
    expect(registrations[1]!.registration.reattached).to.deep.equal([{ taskId, epoch: runs[0]!.epoch }]);
    release();
    const op = await CoordClient.connect({ url: [a.url, b.url], reconnect: FAST });
    closers.push(() => op.close());
    const done = await op.waitTask(taskId, 20_000);
    expect(done.state).to.equal('COMPLETED');
    expect(done.result).to.deep.equal({ done: taskId });
    expect(runs).to.have.length(1);
    // The same idempotency key on B returns the same task, not a new one.
    expect(await op.assign({ type: 'job', requiredCapabilities: ['job'], idempotencyKey: 'move-1' })).to.include({ taskId, deduplicated: true });
  });
});
