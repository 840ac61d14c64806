import { expect } from 'chai';
import { once } from 'node:events';
import { ClientError, CoordClient, RpcError } from '../../../src/client/index.js';
import { FakeDaemon } from '../../support/fake-daemon.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { settled } from '../../support/settled.js';
import { FAST_RECONNECT as FAST, reconnecting, rejection } from '../../support/client-helpers.js';

describe('client/CoordClient', () => {
  let daemon: FakeDaemon;
  /** Request timeouts and reconnect delays run on it: a test moves time, nothing sleeps. */
  let clock: VirtualClock;
  const clients: CoordClient[] = [];
  const connect = async (options: Partial<ConstructorParameters<typeof CoordClient>[0]> = {}): Promise<CoordClient> => {
    const client = new CoordClient({ url: daemon.url, reconnect: FAST, timers: clock, ...options });
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeEach(async () => {
    clock = new VirtualClock();
    daemon = await FakeDaemon.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await daemon.close();
  });

  it('calls a method and resolves with its result', async () => {
    daemon.handle('task.get', (p) => ({ result: { taskId: p.taskId, state: 'PENDING' } }));
    const client = await connect();
    expect(client.connected).to.equal(true);
    expect(await client.getTask('t1')).to.deep.equal({ taskId: 't1', state: 'PENDING' });
  });

  it('sends operator helpers as the right methods and params', async () => {
    daemon.handle('pool.assign', () => ({ result: { taskId: 't9', state: 'PENDING', deduplicated: false } }));
    daemon.handle('task.wait', () => ({ result: { taskId: 't9', state: 'COMPLETED' } }));
    daemon.handle('task.cancel', () => ({ result: { taskId: 't9', state: 'CANCELLED', cancelRequested: true } }));
    daemon.handle('coordination.signal', () => ({ result: { signalId: 'x', agentId: 'a', routingScore: 0.5 } }));
    const client = await connect();
    const conn = await daemon.connection(0);
    await client.assign({ type: 'echo', payload: { n: 1 }, priority: 2 });
    expect(await conn.next('pool.assign')).to.deep.equal({ type: 'echo', payload: { n: 1 }, priority: 2 });
    await client.waitTask('t9', 1000);
    expect(await conn.next('task.wait')).to.deep.equal({ taskId: 't9', timeoutMs: 1000 });
    await client.cancelTask('t9');
    expect(await conn.next('task.cancel')).to.deep.equal({ taskId: 't9' });
    await client.signal({ agentId: 'a', signalType: 'load', value: 0.3 });
    expect(await conn.next('coordination.signal')).to.deep.equal({ agentId: 'a', signalType: 'load', value: 0.3 });
  });

  it('rejects with an RpcError carrying code and data when the daemon answers an error', async () => {
    daemon.handle('task.get', () => ({ error: { code: -32010, message: 'Task not found', data: { name: 'TASK_NOT_FOUND' } } }));
    const client = await connect();
    const error = await rejection(client.getTask('nope'));
    expect(error).to.be.instanceOf(RpcError);
    expect(error).to.include({ code: -32010, message: 'Task not found' });
    expect(error.data).to.deep.equal({ name: 'TASK_NOT_FOUND' });
  });

  it('rejects with TIMEOUT when no reply comes within timeoutMs, not before', async () => {
    daemon.handle('task.get', () => new Promise(() => {}));
    const client = await connect({ requestTimeoutMs: 50 });
    const perRequest = client.request('task.get', { taskId: 't' }, { timeoutMs: 20 });
    const byDefault = client.request('task.get', { taskId: 'u' });
    clock.advance(19);
    expect(await settled(perRequest)).to.equal(false);
    clock.advance(1);
    const error = await rejection(perRequest);
    expect(error).to.be.instanceOf(ClientError);
    expect(error.code).to.equal('TIMEOUT');
    expect(error.message).to.contain('task.get').and.contain('20 ms');
    expect(await settled(byDefault)).to.equal(false);
    clock.advance(30);
    expect((await rejection(byDefault)).code).to.equal('TIMEOUT');
  });

  it('waits forever with timeoutMs 0, and cancels the timer of an answered request', async () => {
    daemon.handle('task.get', (p) => ({ result: { taskId: p.taskId } }));
    daemon.handle('task.wait', () => new Promise(() => {}));
    const client = await connect({ requestTimeoutMs: 50, keepaliveMs: 0 }); // no keepalive timer either
    expect(await client.getTask('t')).to.deep.equal({ taskId: 't' });
    expect(clock.pendingTimers()).to.equal(0);
    const forever = client.request('task.wait', { taskId: 't' }, { timeoutMs: 0 });
    expect(clock.pendingTimers()).to.equal(0);
    clock.advance(3_600_000);
    expect(await settled(forever)).to.equal(false);
  });

  it('sends the bearer token and reports a refused token as AUTH_FAILED', async () => {
    await daemon.close();
    daemon = await FakeDaemon.start({ token: 's3cret' });
    await connect({ token: 's3cret' });
    expect((await daemon.connection(0)).headers.authorization).to.equal('Bearer s3cret');
    const refused = new CoordClient({ url: daemon.url, token: 'wrong', reconnect: FAST });
    const error = await rejection(refused.connect());
    expect(error).to.be.instanceOf(ClientError);
    expect(error.code).to.equal('AUTH_FAILED');
    expect(refused.state).to.equal('closed');
  });

  it('rejects connect() with CONNECT_FAILED when nothing listens', async () => {
    const url = daemon.url;
    await daemon.close();
    const error = await rejection(new CoordClient({ url, reconnect: FAST }).connect());
    expect(error.code).to.equal('CONNECT_FAILED');
    daemon = await FakeDaemon.start();
  });

  it('reconnects with backoff after the server drops the socket', async () => {
    const client = await connect();
    const closed = once(client, 'close');
    const scheduled = reconnecting(client);
    await (await daemon.connection(0)).drop();
    expect((await closed)[0]).to.include({ willReconnect: true });
    expect(await scheduled).to.deep.equal({ attempt: 1, delayMs: 5, url: daemon.url });
    expect(client.state).to.equal('reconnecting');
    clock.advance(4);
    expect(daemon.connections).to.have.length(1);
    const reconnected = once(client, 'reconnect');
    clock.advance(1);
    await reconnected;
    expect(client.connected).to.equal(true);
    daemon.handle('task.get', () => ({ result: { ok: true } }));
    expect(await client.getTask('t')).to.deep.equal({ ok: true });
  });

  it('backs off further while the daemon stays away, then reconnects when it returns', async () => {
    const client = await connect();
    const port = new URL(daemon.url).port;
    const delays: number[] = [];
    let next = reconnecting(client);
    await daemon.close();
    for (let i = 0; i < 3; i++) {
      const { delayMs } = await next;
      delays.push(delayMs);
      if (i === 2) break;
      // each attempt fails on the real socket (nothing listens), then the next delay is scheduled
      next = reconnecting(client);
      clock.advance(delayMs);
    }
    expect(delays).to.deep.equal([5, 10, 20]);
    expect(await rejection(client.requestUntyped('task.get', {}))).to.include({ code: 'NOT_CONNECTED' });
    // the same port again, so the scheduled retry finds the new daemon
    daemon = await FakeDaemon.start({ port: Number(port) });
    const reconnected = once(client, 'reconnect');
    clock.advance(20);
    await reconnected;
    expect(client.connected).to.equal(true);
  });

  it('rejects requests made while disconnected with NOT_CONNECTED, and pending ones with CONNECTION_LOST', async () => {
    daemon.handle('task.get', () => new Promise(() => {}));
    const client = await connect({ reconnect: false });
    const pending = rejection(client.getTask('t'));
    const ended = once(client, 'end');
    await (await daemon.connection(0)).drop();
    const lost = await pending;
    expect(lost).to.be.instanceOf(ClientError);
    expect(lost.code).to.equal('CONNECTION_LOST');
    expect(lost.message).to.contain('task.get');
    await ended;
    expect(client.state).to.equal('closed');
    const error = await rejection(client.getTask('t'));
    expect(error.code).to.equal('NOT_CONNECTED');
    expect(() => client.notify('agent.heartbeat', {})).to.throw(ClientError, /not connected/);
  });

  it('serves methods the daemon calls: result, null for undefined, RpcError as is', async () => {
    const client = await connect();
    client.handle('echo', (params) => params);
    client.handle('nothing', () => undefined);
    client.handle('refuse', () => {
      throw new RpcError(-32042, 'nope', { why: 'test' });
    });
    client.handle('crash', () => {
      throw new Error('boom');
    });
    const conn = await daemon.connection(0);
    expect(await conn.request('echo', { a: 1 })).to.deep.include({ result: { a: 1 } });
    expect(await conn.request('nothing', {})).to.deep.include({ result: null });
    expect((await conn.request('refuse', {})).error).to.deep.equal({ code: -32042, message: 'nope', data: { why: 'test' } });
    expect((await conn.request('crash', {})).error).to.deep.include({ code: -32603, message: 'boom' });
    expect((await conn.request('unknown', {})).error.code).to.equal(-32601);
  });

  it('close() ends the client, rejects pending calls with CLOSED and stops reconnecting', async () => {
    daemon.handle('task.get', () => new Promise(() => {}));
    const client = await connect();
    const pending = rejection(client.getTask('t'));
    const ended = once(client, 'end');
    await client.close();
    await ended;
    expect((await pending).code).to.equal('CLOSED');
    expect(client.state).to.equal('closed');
    expect(daemon.connections).to.have.length(1);
  });
});
