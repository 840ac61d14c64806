import { expect } from 'chai';
import { once } from 'node:events';
import { AgentWorker, TaskFailure, type AgentWorkerOptions, type TaskContext } from '../../../src/client/index.js';
import { FakeDaemon, type FakeConnection } from '../../support/fake-daemon.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { until } from '../../support/settled.js';

const FAST = { initialDelayMs: 5, maxDelayMs: 20, factor: 2, jitter: 0 };
const task = (taskId: string, payload: unknown = {}, epoch = 1) => ({ taskId, type: 'test', payload, attempt: 1, epoch, traceId: `trace-${taskId}` });

/** A promise and its resolver, to hand a handler's context or a gate to the test. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A round trip on the socket: every message the worker sent before it has reached the daemon. */
const flush = (conn: FakeConnection): Promise<unknown> => conn.request('no.such.method', {});

describe('client/AgentWorker', () => {
  let daemon: FakeDaemon;
  let worker: AgentWorker | undefined;
  /** Heartbeats and reconnect delays run on it: a test moves time, nothing sleeps. */
  let clock: VirtualClock;

  const start = async (options: Partial<AgentWorkerOptions> = {}): Promise<FakeConnection> => {
    worker = new AgentWorker({ url: daemon.url, capabilities: ['echo'], capacity: 2, reconnect: FAST, timers: clock, handler: (t) => t.payload, ...options });
    await worker.start();
    return daemon.connection(daemon.connections.length - 1);
  };

  /** Advance the clock by each reconnect delay as it is scheduled (after the timer is armed). */
  const followReconnects = (delays: number[] = []): number[] => {
    worker!.client.on('reconnecting', ({ delayMs }) => {
      delays.push(delayMs);
      setImmediate(() => clock.advance(delayMs));
    });
    return delays;
  };

  beforeEach(async () => {
    clock = new VirtualClock();
    daemon = await FakeDaemon.start({ heartbeatIntervalMs: 10 });
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await daemon.close();
  });

  it('registers, then heartbeats at the interval the daemon returned, with health', async () => {
    const conn = await start({ name: 'w', type: 'echo', contextWindowId: 'ctx-a' });
    expect(await conn.next('agent.register')).to.deep.equal({ name: 'w', type: 'echo', capabilities: ['echo'], capacity: 2, contextWindowId: 'ctx-a' });
    expect(worker!.agentId).to.equal('agent-1');
    expect(worker!.contextWindowId).to.equal('ctx-a');
    clock.advance(9);
    await flush(conn);
    expect(conn.count('agent.heartbeat')).to.equal(0);
    clock.advance(1);
    const beat = await conn.next('agent.heartbeat');
    expect(beat.state).to.equal('IDLE');
    expect(beat.health.memoryMb).to.be.a('number').greaterThan(0);
    expect(beat.health.cpuPercent).to.be.a('number').at.least(0);
  });

  it('sends no heartbeats when heartbeat is false', async () => {
    const conn = await start({ heartbeat: false, keepaliveMs: 0 });
    clock.advance(1000);
    await conn.request('task.run', task('t0'));
    expect(conn.count('agent.heartbeat')).to.equal(0);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('answers task.run with the handler result, and null for undefined', async () => {
    const conn = await start({ handler: (t) => (t.taskId === 'void' ? undefined : { echo: t.payload, attempt: t.attempt }) });
    expect(await conn.request('task.run', task('t1', { x: 1 }))).to.deep.include({ result: { echo: { x: 1 }, attempt: 1 } });
    expect(await conn.request('task.run', task('void'))).to.deep.include({ result: null });
  });

  it('answers a handler error with -32000 and data.retryable (default true)', async () => {
    const conn = await start({
      handler: (t) => {
        if (t.taskId === 'final') throw new TaskFailure('bad input', { retryable: false });
        if (t.taskId === 'flag') throw Object.assign(new Error('flagged'), { retryable: false });
        throw new Error('flaky');
      },
    });
    expect((await conn.request('task.run', task('t'))).error).to.deep.equal({ code: -32000, message: 'flaky', data: { retryable: true } });
    expect((await conn.request('task.run', task('final'))).error).to.deep.equal({ code: -32000, message: 'bad input', data: { retryable: false } });
    expect((await conn.request('task.run', task('flag'))).error.data).to.deep.equal({ retryable: false });
  });

  it('answers malformed task.run params with -32602 and the failing paths', async () => {
    const conn = await start();
    const reply = await conn.request('task.run', { taskId: 't', epoch: 'one' });
    expect(reply.error.code).to.equal(-32602);
    expect(reply.error.data.retryable).to.equal(false);
    expect(reply.error.data.paths).to.include.members(['epoch', 'attempt']);
  });

  it('aborts ctx.signal on task.cancel and answers the pending task.run with "cancelled"', async () => {
    const started = deferred<TaskContext>();
    const conn = await start({
      handler: (_t, ctx) => {
        started.resolve(ctx);
        return new Promise(() => {}); // ignores the signal: the worker answers anyway
      },
    });
    const reply = conn.request('task.run', task('t2', {}, 3));
    const ctx = await started.promise;
    const aborted = once(ctx.signal, 'abort');
    conn.notify('task.cancel', { taskId: 't2', epoch: 2 }); // stale epoch: ignored
    conn.notify('task.cancel', { taskId: 't2', epoch: 3 });
    await aborted;
    expect((await reply).error).to.deep.equal({ code: -32000, message: 'cancelled', data: { cancelled: true, retryable: false } });
    expect(worker!.inFlight).to.equal(0);
  });

  it('sends task.progress notifications with the task epoch', async () => {
    const conn = await start({
      handler: (_t, ctx) => {
        ctx.progress(0.5, 'half');
        ctx.progress(7);
        return 'done';
      },
    });
    await conn.request('task.run', task('t3', {}, 4));
    expect(await conn.next('task.progress')).to.deep.equal({ taskId: 't3', epoch: 4, progress: 0.5, message: 'half' });
    expect(await conn.next('task.progress')).to.deep.equal({ taskId: 't3', epoch: 4, progress: 1 });
  });

  it('reports EXECUTING in heartbeats while a task runs', async () => {
    const gate = deferred();
    const running = deferred();
    const conn = await start({ handler: () => (running.resolve(), gate.promise) });
    clock.advance(10);
    expect((await conn.next('agent.heartbeat')).state).to.equal('IDLE');
    const reply = conn.request('task.run', task('t4'));
    await running.promise;
    clock.advance(10);
    expect((await conn.next('agent.heartbeat')).state).to.equal('EXECUTING');
    gate.resolve();
    expect(await reply).to.deep.include({ result: null });
  });

  it('after the server drops the socket: reconnects, re-registers with the same ids, aborts running tasks the daemon does not reattach', async () => {
    const started = deferred<TaskContext>();
    const first = await start({ handler: (t, ctx) => (t.taskId === 't5' ? (started.resolve(ctx), new Promise(() => {})) : 'ok') });
    const registration = await first.next('agent.register');
    expect(registration.agentId).to.equal(undefined);
    void first.request('task.run', task('t5'));
    const ctx = await started.promise;
    const delays = followReconnects();
    const reregistered = once(worker!, 'registered');
    const aborted = once(ctx.signal, 'abort');
    await first.drop();
    await aborted;
    const [result, info] = await reregistered;
    expect(info).to.deep.equal({ reregistered: true });
    expect(result).to.include({ agentId: 'agent-1', contextWindowId: 'ctx-1' });
    expect(delays).to.deep.equal([5]);
    const second = await daemon.connection(1);
    expect(await second.next('agent.register')).to.include({ agentId: 'agent-1', contextWindowId: 'ctx-1' });
    clock.advance(10);
    expect(await second.next('agent.heartbeat')).to.have.property('health');
    expect(await second.request('task.run', task('t6'))).to.deep.include({ result: 'ok' });
  });

  it('reports running tasks at re-registration; a reattached one runs on and its result goes by task.report', async () => {
    const gate = deferred<string>();
    const started = deferred<TaskContext>();
    const first = await start({ handler: (t, ctx) => (t.taskId === 'r1' ? (started.resolve(ctx), gate.promise) : 'ok') });
    await first.next('agent.register');
    void first.request('task.run', task('r1', {}, 3));
    const ctx = await started.promise;
    daemon.handle('agent.register', (p) => ({
      result: { agentId: 'agent-1', contextWindowId: 'ctx-1', heartbeatIntervalMs: 10, leaseTtlMs: 30, reattached: p.running, dropped: [] },
    }));
    daemon.handle('task.report', () => ({ result: { accepted: true } }));
    followReconnects();
    const reregistered = once(worker!, 'registered');
    await first.drop();
    await reregistered;
    const second = await daemon.connection(1);
    expect((await second.next('agent.register')).running).to.deep.equal([{ taskId: 'r1', epoch: 3 }]);
    expect(ctx.signal.aborted).to.equal(false);
    gate.resolve('long answer');
    expect(await second.next('task.report')).to.deep.equal({ taskId: 'r1', epoch: 3, result: 'long answer' });
  });

  it('keeps an outcome finished while disconnected and reports it once the daemon reattaches it; drops what the daemon drops', async () => {
    const gates = new Map([
      ['f1', deferred<string>()],
      ['f2', deferred<string>()],
    ]);
    const first = await start({ handler: (t) => gates.get(t.taskId)!.promise });
    await first.next('agent.register');
    void first.request('task.run', task('f1'));
    void first.request('task.run', task('f2'));
    await flush(first);
    daemon.handle('agent.register', () => ({
      result: {
        agentId: 'agent-1',
        contextWindowId: 'ctx-1',
        heartbeatIntervalMs: 10,
        leaseTtlMs: 30,
        reattached: [{ taskId: 'f1', epoch: 1 }],
        dropped: [{ taskId: 'f2', epoch: 1 }],
      },
    }));
    daemon.handle('task.report', () => ({ result: { accepted: true } }));
    const reregistered = once(worker!, 'registered');
    // Both finish before any reconnect: their replies cannot travel.
    const closed = once(worker!.client, 'close');
    await first.drop();
    await closed;
    gates.get('f1')!.resolve('one');
    gates.get('f2')!.resolve('two');
    await until(() => worker!.undeliveredCount === 2, 'both outcomes kept');
    followReconnects();
    clock.advance(5);
    await reregistered;
    const second = await daemon.connection(1);
    const sent = await second.next('agent.register');
    expect(sent.running).to.have.deep.members([
      { taskId: 'f1', epoch: 1 },
      { taskId: 'f2', epoch: 1 },
    ]);
    expect(await second.next('task.report')).to.deep.equal({ taskId: 'f1', epoch: 1, result: 'one' });
    await until(() => worker!.undeliveredCount === 0, 'the report acknowledged');
  });

  it('keeps retrying when re-registration is refused, with growing delays', async () => {
    const conn = await start();
    let refusals = 0;
    daemon.handle('agent.register', () =>
      ++refusals <= 2
        ? { error: { code: -32020, message: 'context in use' } }
        : { result: { agentId: 'agent-1', contextWindowId: 'ctx-1', heartbeatIntervalMs: 10, leaseTtlMs: 30 } },
    );
    const delays = followReconnects();
    const reregistered = once(worker!, 'registered');
    await conn.drop();
    await reregistered;
    expect(delays).to.deep.equal([5, 10, 20]);
  });

  it('sendSignal sends a signal about this agent', async () => {
    daemon.handle('coordination.signal', (p) => ({ result: { signalId: 's', agentId: p.agentId, routingScore: 0.6 } }));
    const conn = await start();
    expect(await worker!.sendSignal('load', 0.4, { ttlSeconds: 5 })).to.deep.equal({ signalId: 's', agentId: 'agent-1', routingScore: 0.6 });
    expect(await conn.next('coordination.signal')).to.deep.equal({ agentId: 'agent-1', signalType: 'load', value: 0.4, ttlSeconds: 5 });
  });

  it('stop() aborts running tasks and closes the connection', async () => {
    const started = deferred<TaskContext>();
    const conn = await start({ handler: (_t, ctx) => (started.resolve(ctx), new Promise(() => {})) });
    void conn.request('task.run', task('t7'));
    const ctx = await started.promise;
    await worker!.stop();
    expect(ctx.signal.aborted).to.equal(true);
    await conn.closed;
    expect(worker!.client.state).to.equal('closed');
  });
});
