import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentWorker, CoordClient } from '../../src/client/index.js';
import { seededRandom } from '../../src/random.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { until } from '../support/settled.js';

const FAST = { initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0 };

/** kill -9, and wait until the process is really gone. */
async function crash(d: DaemonProcess): Promise<void> {
  const gone = once(d.proc, 'exit');
  d.proc.kill('SIGKILL');
  await gone;
}

/** The attempts a worker reattached when it registered next (after the daemon restarted). */
function reattachedBy(worker: AgentWorker): Promise<unknown> {
  return new Promise((resolve) => worker.once('registered', (reg) => resolve(reg.reattached)));
}

/** Issue 11: a daemon on a SQLite file, killed with -9 and started again on the same file (and port). */
describe('durable state across kill -9 (real daemon, real file)', function () {
  this.timeout(90_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  const clients: CoordClient[] = [];
  const workers: AgentWorker[] = [];
  const env = (extra: Record<string, string> = {}) => ({ COORDD_STORE: `sqlite:${join(dir, 'coordd.db')}`, COORDD_LOG_LEVEL: 'warn', ...extra });
  const operator = async (url: string): Promise<CoordClient> => {
    const c = await CoordClient.connect({ url, reconnect: false });
    clients.push(c);
    return c;
  };

  /** An AgentWorker (reconnecting fast, capacity 1) that counts its runs and holds each until release(). */
  const heldWorker = async (url: string, agentId: string, capabilities: string[], result: unknown) => {
    let runs = 0;
    let release!: (v: unknown) => void;
    const gate = new Promise((r) => (release = r));
    const worker = new AgentWorker({ url, agentId, capabilities, capacity: 1, reconnect: FAST, handler: async () => (++runs, await gate, result) });
    workers.push(worker);
    await worker.start();
    return { worker, runs: () => runs, release: () => release(undefined) };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-durable-'));
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop().catch(() => undefined)));
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await daemon?.stop();
    daemon = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every acknowledged task survives, finished ones keep their result, none completes twice, idempotency keys still dedupe`, async () => {
      const rng = seededRandom(seed);
      const random = (): number => rng.next();
      daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '1' }));
      const port = String(daemon.port);
      const runs = new Map<string, number>();
      const worker = new AgentWorker({
        url: daemon.url,
        agentId: `w-${seed}`,
        capabilities: [],
        capacity: 4,
        reconnect: FAST,
        handler: async (task) => {
          runs.set(task.taskId, (runs.get(task.taskId) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, Math.floor(random() * 5)));
          return { n: (task.payload as { n: number }).n };
        },
      });
      workers.push(worker);
      await worker.start();
      const op = await operator(daemon.url);
      // A steady stream: 4 submitters, each also reading back an earlier task now and then.
      const acked = new Map<string, { taskId: string; n: number }>();
      const seenDone = new Map<string, unknown>();
      let n = 0;
      let stopped = false;
      const submitter = async (): Promise<void> => {
        while (!stopped) {
          const mine = ++n;
          const key = `k-${seed}-${mine}`;
          try {
            const r = await op.assign({ type: 'job', payload: { n: mine }, idempotencyKey: key });
            acked.set(key, { taskId: r.taskId, n: mine });
            if (mine % 5 === 0) {
              const earlier = [...acked.values()][Math.floor(random() * acked.size)]!;
              const t = await op.getTask(earlier.taskId);
              if (t.state === 'COMPLETED') seenDone.set(t.taskId, t.result);
            }
          } catch {
            return; // the daemon is gone
          }
        }
      };
      const streams = Promise.all([submitter(), submitter(), submitter(), submitter()]);
      await until(() => acked.size >= 50 + Math.floor(random() * 250), 'a few hundred acknowledged tasks');
      await crash(daemon);
      stopped = true;
      await streams;
      expect(acked.size).to.be.greaterThan(0);

      daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '1', COORDD_PORT: port }));
      expect(daemon.logs.find((l) => l.msg === 'listening')).to.include({ store: `sqlite:${join(dir, 'coordd.db')}` });
      const op2 = await operator(daemon.url);
      // The worker reconnects on its own; everything acknowledged ends COMPLETED with its own result.
      for (const { taskId, n: mine } of acked.values()) {
        const t = await op2.waitTask(taskId, 20_000);
        expect(t.state, taskId).to.equal('COMPLETED');
        expect(t.result).to.deep.equal({ n: mine });
        expect(
          t.attempts.filter((a) => a.outcome === 'completed'),
          `${taskId} completed once`,
        ).to.have.length(1);
      }
      for (const [taskId, result] of seenDone) {
        const t = await op2.getTask(taskId);
        expect(t.result).to.deep.equal(result);
        // Seen finished before the crash: never run again.
        expect(runs.get(taskId)).to.equal(1);
      }
      const [key, first] = [...acked.entries()][0]!;
      const again = await op2.assign({ type: 'job', payload: { n: -1 }, idempotencyKey: key });
      expect(again).to.include({ taskId: first.taskId, deduplicated: true });
    });
  }

  it('a task running on an AgentWorker during the crash completes once, without running again, when the worker reattaches within the grace period', async () => {
    daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '30' }));
    const port = String(daemon.port);
    const { worker, runs, release } = await heldWorker(daemon.url, 'llm-1', ['llm'], { text: 'ten minutes of thought' });
    const op = await operator(daemon.url);
    const { taskId } = await op.assign({ type: 'think', requiredCapabilities: ['llm'] });
    await until(() => runs() === 1, 'the task running on the worker');
    await crash(daemon);
    daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '30', COORDD_PORT: port }));
    const reattached = await reattachedBy(worker);
    expect(reattached).to.deep.equal([{ taskId, epoch: 1 }]);
    release();
    const op2 = await operator(daemon.url);
    const done = await op2.waitTask(taskId, 10_000);
    expect(done).to.deep.include({ state: 'COMPLETED', result: { text: 'ten minutes of thought' } });
    expect(done.attempts).to.have.length(1);
    expect(runs()).to.equal(1);
  });

  it('a clean stop (SIGTERM) keeps a running task IN_PROGRESS: its worker reattaches after the restart, and it runs once', async () => {
    daemon = await startDaemon(env({ COORDD_SHUTDOWN_TIMEOUT: '0.2' }));
    const port = String(daemon.port);
    const { worker, runs, release } = await heldWorker(daemon.url, 'calm', [], 'kept');
    const op = await operator(daemon.url);
    const { taskId } = await op.assign({ type: 'x' });
    await until(() => runs() === 1, 'the task running');
    expect(await daemon.stop()).to.equal(0);
    daemon = await startDaemon(env({ COORDD_PORT: port }));
    const reattached = await reattachedBy(worker);
    expect(reattached).to.deep.equal([{ taskId, epoch: 1 }]);
    release();
    const done = await (await operator(daemon.url)).waitTask(taskId, 10_000);
    expect(done).to.deep.include({ state: 'COMPLETED', result: 'kept' });
    expect(runs()).to.equal(1);
  });

  it('after the grace period the task is requeued with a new epoch and run again', async () => {
    daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '0.5' }));
    const port = String(daemon.port);
    const first = new AgentWorker({
      url: daemon.url,
      agentId: 'slow',
      capabilities: [],
      capacity: 1,
      reconnect: false,
      handler: () => new Promise(() => undefined),
    });
    workers.push(first);
    await first.start();
    const op = await operator(daemon.url);
    const { taskId } = await op.assign({ type: 'x' });
    await until(async () => (await op.getTask(taskId)).state === 'IN_PROGRESS', 'the task running');
    await crash(daemon);
    await first.stop();
    daemon = await startDaemon(env({ COORDD_REATTACH_GRACE: '0.5', COORDD_PORT: port }));
    const op2 = await operator(daemon.url);
    expect((await op2.getTask(taskId)).state).to.equal('IN_PROGRESS');
    await until(async () => (await op2.getTask(taskId)).state === 'PENDING', 'the requeue after the grace period');
    const epochs: number[] = [];
    const second = new AgentWorker({
      url: daemon.url,
      agentId: 'fresh',
      capabilities: [],
      capacity: 1,
      reconnect: false,
      handler: (t) => (epochs.push(t.epoch), 'again'),
    });
    workers.push(second);
    await second.start();
    const done = await op2.waitTask(taskId, 10_000);
    expect(done).to.deep.include({ state: 'COMPLETED', result: 'again' });
    expect(epochs).to.deep.equal([2]);
  });

  it('a lease acquired before a restart is still held after it, and has a smaller fencing token than any acquired after', async () => {
    daemon = await startDaemon(env());
    const port = String(daemon.port);
    const holder = new AgentWorker({ url: daemon.url, agentId: 'holder', capabilities: [], capacity: 1, reconnect: FAST, handler: () => null });
    workers.push(holder);
    await holder.start();
    const before = (await holder.client.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 60 })) as {
      fencingToken: number;
      leaseId: string;
    };
    await crash(daemon);
    daemon = await startDaemon(env({ COORDD_PORT: port }));
    const other = new AgentWorker({ url: daemon.url, agentId: 'other', capabilities: [], capacity: 1, reconnect: false, handler: () => null });
    workers.push(other);
    await other.start();
    const busy = await other.client.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 60 }).then(
      () => 'granted',
      (e: { code?: number }) => e.code,
    );
    expect(busy, 'still held by the lease from before the crash').to.equal(-32050);
    const after = (await other.client.request('resource.acquire', { resource: 'queue', mode: 'exclusive', ttlSeconds: 60 })) as { fencingToken: number };
    expect(after.fencingToken).to.be.greaterThan(before.fencingToken);
  });

  it('a waiter granted a lease just before kill -9 finds it held by itself after (requestKey); one still waiting gets a disconnect and finds the lease taken', async () => {
    daemon = await startDaemon(env());
    const port = String(daemon.port);
    const agent = async (agentId: string): Promise<AgentWorker> => {
      const w = new AgentWorker({ url: daemon!.url, agentId, capabilities: [], capacity: 1, reconnect: FAST, handler: () => null });
      workers.push(w);
      await w.start();
      return w;
    };
    const [holder, waiter, late] = [await agent('holder'), await agent('waiter'), await agent('late')];
    const op = await operator(daemon.url);
    const acquire = (w: AgentWorker, more: object = {}) =>
      w.client.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 60, ...more }) as Promise<{
        leaseId: string;
        fencingToken: number;
      }>;
    const held = await acquire(holder);
    const granted = acquire(waiter, { waitMs: 30_000, requestKey: 'deploy-42' });
    await until(
      async () => ((await op.request('resource.list', { resource: 'db' })) as { resources: { waiters: unknown[] }[] }).resources[0]?.waiters.length === 1,
      'the waiter queued',
    );
    const stillWaiting = acquire(late, { waitMs: 30_000 }).then(
      () => 'granted',
      (e: { code?: unknown }) => e.code,
    );
    await until(
      async () => ((await op.request('resource.list', { resource: 'db' })) as { resources: { waiters: unknown[] }[] }).resources[0]?.waiters.length === 2,
      'both queued',
    );
    await holder.client.request('resource.release', { leaseId: held.leaseId });
    const grant = await granted;
    await crash(daemon);
    expect(await stillWaiting, 'a wait cut by the crash fails on the client, it is not granted').to.equal('CONNECTION_LOST');

    daemon = await startDaemon(env({ COORDD_PORT: port }));
    const op2 = await operator(daemon.url);
    await until(async () => ((await op2.request('agent.list', {})) as { agents: unknown[] }).agents.length === 3, 'the agents reconnected');
    // Asked again under its name, the waiter gets the grant it had (its reply may have been lost with the daemon).
    expect(await acquire(waiter, { waitMs: 30_000, requestKey: 'deploy-42' })).to.deep.equal(grant);
    const db = ((await op2.request('resource.list', { resource: 'db' })) as { resources: { leases: { agentId: string; leaseId: string }[] }[] }).resources[0]!;
    expect(db.leases.map((l) => [l.agentId, l.leaseId])).to.deep.equal([['waiter', grant.leaseId]]);
    expect(await acquire(late).catch((e: { code?: number }) => e.code)).to.equal(-32050);
    // Its lease now ends with its new connection.
    await waiter.stop();
    await until(
      async () => ((await op2.request('resource.list', { resource: 'db' })) as { resources: unknown[] }).resources.length === 0,
      'the lease ended with the connection',
    );
  });

  it('a full disk answers STORE_UNAVAILABLE instead of acknowledging, flips /readyz to 503, and loses nothing committed', async () => {
    // A 2 MiB file size limit (SIGXFSZ ignored, so writes fail with EFBIG): SQLite reports it as full or I/O.
    daemon = await startDaemon(env(), [], { shellPrelude: "trap '' XFSZ; ulimit -f 2048;" });
    const op = await operator(daemon.url);
    expect((await fetch(`${daemon.httpUrl}/readyz`)).status).to.equal(200);
    const acked: string[] = [];
    let refused: { code?: number; data?: { reason?: string } } | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      try {
        acked.push((await op.assign({ type: 'big', payload: { pad: 'x'.repeat(200_000), i } })).taskId);
      } catch (e) {
        refused = e as typeof refused;
      }
    }
    expect(refused?.code, JSON.stringify(refused)).to.equal(-32006);
    expect(refused?.data?.reason).to.be.oneOf(['DISK_FULL', 'IO']);
    expect(acked.length).to.be.greaterThan(0);
    expect((await fetch(`${daemon.httpUrl}/readyz`)).status).to.equal(503);
    // Still up, still refusing rather than acknowledging.
    const again = await op.assign({ type: 'small' }).then(
      () => 'acknowledged',
      (e: { code?: number }) => e.code,
    );
    expect(again).to.equal(-32006);
    await crash(daemon);
    daemon = await startDaemon(env());
    const op2 = await operator(daemon.url);
    for (const taskId of acked) expect((await op2.getTask(taskId)).state).to.equal('PENDING');
  });

  it('starts again the workers the last pool.spawn calls asked for (new processes, not the old ones)', async () => {
    daemon = await startDaemon(env());
    const op = await operator(daemon.url);
    const spawned = (await op.request('pool.spawn', { count: 2 })) as { pids: number[] };
    await crash(daemon);
    daemon = await startDaemon(env());
    const op2 = await operator(daemon.url);
    let agents: { spawned: boolean }[] = [];
    await until(async () => {
      agents = ((await op2.request('agent.list', { spawned: true })) as { agents: { spawned: boolean }[] }).agents;
      return agents.length === 2;
    }, 'two spawned workers registered after the restart');
    const pids = ((await op2.request('pool.isolationReport', {})) as { agents: { pid?: number }[] }).agents.map((a) => a.pid);
    for (const pid of spawned.pids) expect(pids).to.not.include(pid);
    // The old workers saw their parent die (stdin closed) and exited.
    await until(
      () =>
        spawned.pids.every((pid) => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }),
      'the old workers gone',
    );
  });

  it('conversations and the scaling policy survive kill -9: the same history, the policy in force, auto-scaling running again', async () => {
    daemon = await startDaemon(env());
    const port = String(daemon.port);
    const speaker = new AgentWorker({
      url: daemon.url,
      agentId: 'speaker',
      capabilities: ['talk'],
      capacity: 1,
      reconnect: FAST,
      handler: () => null,
      onMessage: (d) => ({ heard: d.message, history: d.history.length }),
    });
    workers.push(speaker);
    await speaker.start();
    const op = await operator(daemon.url);
    const first = await op.route({ message: 'hello', requiredCapabilities: ['talk'] });
    await op.route({ message: 'again', conversationId: first.conversationId, requiredCapabilities: ['talk'] });
    const other = await op.route({ message: 'elsewhere', requiredCapabilities: ['talk'] });
    const closed = await op.route({ message: 'bye', requiredCapabilities: ['talk'] });
    await op.request('conversation.close', { conversationId: closed.conversationId });
    const before = await op.request('conversation.get', { conversationId: first.conversationId });
    const policy = await op.request('pool.scaling.policy.set', { maxAgents: 3, minAgents: 0, targetUtilization: 0.5 });
    await op.request('pool.scaling.start', { intervalSeconds: 30 });
    await crash(daemon);

    daemon = await startDaemon(env({ COORDD_PORT: port, COORDD_LOG_LEVEL: 'info' }));
    const op2 = await operator(daemon.url);
    expect(await op2.request('conversation.get', { conversationId: first.conversationId })).to.deep.equal(before);
    const listed = (await op2.request('conversation.list', {})) as { conversations: { conversationId: string }[] };
    expect(listed.conversations.map((c) => c.conversationId)).to.deep.equal([other.conversationId, first.conversationId]);
    expect(await op2.request('pool.scaling.policy.get', {})).to.deep.equal(policy);
    expect(daemon.logs.find((l) => l.msg === 'auto-scaling started')).to.include({ intervalSeconds: 30 });
    // The history goes on where it stopped: the agent (reconnected by itself) is relayed all three earlier messages.
    await until(async () => ((await op2.request('agent.list', {})) as { agents: unknown[] }).agents.length === 1, 'the speaker back');
    const third = await op2.route({ message: 'after the crash', conversationId: first.conversationId, requiredCapabilities: ['talk'] });
    expect(third.response).to.deep.equal({ heard: 'after the crash', history: 4 });
  });

  it('pool.status names the store; memory is what tests get unless they choose a file', async () => {
    daemon = await startDaemon(env());
    const op = await operator(daemon.url);
    expect((await op.request('pool.status', {})) as object).to.deep.include({ store: { name: `sqlite:${join(dir, 'coordd.db')}`, awaitingReattach: 0 } });
    await daemon.stop();
    daemon = await startDaemon();
    const op2 = await operator(daemon.url);
    expect(((await op2.request('pool.status', {})) as { store: unknown }).store).to.deep.equal({ name: 'memory', awaitingReattach: 0 });
  });
});
