import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ClientError, CoordClient, LEADER_UNAVAILABLE_CODE, RpcError, fromEnv } from '../../../src/client/index.js';
import { AppErrors } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { FakeDaemon } from '../../support/fake-daemon.js';
import { until } from '../../support/settled.js';
import { FAST_RECONNECT as FAST, reconnecting, rejection } from '../../support/client-helpers.js';

const LEADER_UNAVAILABLE = { code: -32007, message: 'No cluster leader could take this call; retry', data: { retryAfterMs: 40, reason: 'leader changed' } };

describe('client/CoordClient with several URLs (a cluster)', () => {
  let a: FakeDaemon;
  let b: FakeDaemon;
  let clock: VirtualClock;
  const clients: CoordClient[] = [];
  const connect = async (options: Partial<ConstructorParameters<typeof CoordClient>[0]> = {}): Promise<CoordClient> => {
    const client = new CoordClient({ url: [a.url, b.url], reconnect: FAST, timers: clock, keepaliveMs: 0, ...options });
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeEach(async () => {
    clock = new VirtualClock();
    [a, b] = await Promise.all([FakeDaemon.start(), FakeDaemon.start()]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all([a.close(), b.close()]);
  });

  it('the client catalogue agrees with the daemon: LEADER_UNAVAILABLE is -32007', () => {
    expect(LEADER_UNAVAILABLE_CODE).to.equal(AppErrors.LEADER_UNAVAILABLE.code);
  });

  it('RpcError says whether a retry may help, and how long the daemon asks to wait', () => {
    const leader = new RpcError(-32007, 'x', { retryAfterMs: 250, reason: 'no leader' });
    expect(leader.retryable).to.equal(true);
    expect(leader.retryAfterMs).to.equal(250);
    expect(new RpcError(-32007, 'x').retryAfterMs).to.equal(undefined);
    expect(new RpcError(-32007, 'x', { retryAfterMs: -1 }).retryAfterMs).to.equal(undefined);
    expect(new RpcError(-32602, 'Invalid params').retryable).to.equal(false);
    expect(new RpcError(-32008, 'state lost').retryable).to.equal(false);
  });

  it('connects to the first URL that answers', async () => {
    const urls = [a.url, b.url];
    await a.close();
    const client = new CoordClient({ url: urls, reconnect: FAST, timers: clock });
    clients.push(client);
    await client.connect();
    expect(client.url).to.equal(urls[1]);
    expect(b.connections).to.have.length(1);
    a = await FakeDaemon.start();
  });

  it('fails connect() with CONNECT_FAILED only when every URL failed', async () => {
    const urls = [a.url, b.url];
    await Promise.all([a.close(), b.close()]);
    const error = await rejection(new CoordClient({ url: urls, reconnect: FAST, timers: clock }).connect());
    expect(error).to.be.instanceOf(ClientError);
    expect(error.code).to.equal('CONNECT_FAILED');
    expect(error.message).to.include(urls[1]);
    [a, b] = await Promise.all([FakeDaemon.start(), FakeDaemon.start()]);
  });

  it('on close code 1012 (the leader changed) reconnects at once to the next URL', async () => {
    const client = await connect();
    expect(client.url).to.equal(a.url);
    const scheduled = reconnecting(client);
    const reconnected = once(client, 'reconnect');
    (await a.connection(0)).ws.close(1012, 'leader changed');
    expect(await scheduled).to.deep.equal({ attempt: 1, delayMs: 0, url: b.url });
    clock.advance(0);
    await reconnected;
    expect(client.url).to.equal(b.url);
    expect(b.connections).to.have.length(1);
    b.handle('task.get', () => ({ result: { on: 'b' } }));
    expect(await client.getTask('t')).to.deep.equal({ on: 'b' });
  });

  it('on 1013 (try again later) also moves on at once; any other close backs off, still to the next URL', async () => {
    const client = await connect();
    let scheduled = reconnecting(client);
    let reconnected = once(client, 'reconnect');
    (await a.connection(0)).ws.close(1013, 'try again later');
    expect(await scheduled).to.include({ delayMs: 0, url: b.url });
    clock.advance(0);
    await reconnected;
    scheduled = reconnecting(client);
    reconnected = once(client, 'reconnect');
    (await b.connection(0)).ws.close(1001, 'going away');
    expect(await scheduled).to.include({ delayMs: 5, url: a.url });
    clock.advance(5);
    await reconnected;
    expect(client.url).to.equal(a.url);
    expect(a.connections).to.have.length(2);
  });

  it('rotates through the URLs while replicas stay down, then lands on the one that returns', async () => {
    const client = await connect();
    const [aUrl, bUrl] = [a.url, b.url];
    let next = reconnecting(client);
    await Promise.all([a.close(), b.close()]);
    const tried: string[] = [];
    for (let i = 0; i < 4; i++) {
      const info = await next;
      tried.push(info.url);
      if (i === 3) break;
      next = reconnecting(client); // each attempt fails (nothing listens), the next goes to the other URL
      clock.advance(info.delayMs);
    }
    expect(tried).to.deep.equal([bUrl, aUrl, bUrl, aUrl]);
    // replica b returns on its port; the attempt after the one to a lands there
    b = await FakeDaemon.start({ port: Number(new URL(bUrl).port) });
    a = await FakeDaemon.start();
    const reconnected = once(client, 'reconnect');
    next = reconnecting(client);
    clock.advance(20);
    clock.advance((await next).delayMs);
    await reconnected;
    expect(client.url).to.equal(bUrl);
  });

  it('assign() retries a pool.assign with an idempotencyKey after LEADER_UNAVAILABLE, waiting retryAfterMs', async () => {
    let calls = 0;
    a.handle('pool.assign', () => (++calls === 1 ? { error: LEADER_UNAVAILABLE } : { result: { taskId: 't1', state: 'PENDING', deduplicated: true } }));
    const client = await connect({ requestTimeoutMs: 0 }); // no request timers: the only timer is the retry's
    const conn = await a.connection(0);
    const result = client.assign({ type: 'echo', idempotencyKey: 'k1' });
    expect(await conn.next('pool.assign')).to.deep.equal({ type: 'echo', idempotencyKey: 'k1' });
    await until(() => clock.pendingTimers() > 0, 'the retry delay');
    clock.advance(39);
    expect(calls).to.equal(1);
    clock.advance(1);
    expect(await conn.next('pool.assign')).to.deep.equal({ type: 'echo', idempotencyKey: 'k1' });
    expect(await result).to.deep.equal({ taskId: 't1', state: 'PENDING', deduplicated: true });
  });

  it('assign() without an idempotencyKey is made once: LEADER_UNAVAILABLE reaches the caller', async () => {
    a.handle('pool.assign', () => ({ error: LEADER_UNAVAILABLE }));
    const client = await connect();
    const error = await rejection(client.assign({ type: 'echo' }));
    expect(error).to.be.instanceOf(RpcError);
    expect(error.retryable).to.equal(true);
    expect(a.connections[0]!.count('pool.assign')).to.equal(1);
  });

  it('assign() gives up after assignRetries and rethrows the last error', async () => {
    a.handle('pool.assign', () => ({ error: { ...LEADER_UNAVAILABLE, data: { retryAfterMs: 0 } } }));
    const client = await connect({ assignRetries: 2, requestTimeoutMs: 0 });
    const outcome = rejection(client.assign({ type: 'echo', idempotencyKey: 'k' }));
    for (let i = 0; i < 2; i++) {
      await until(() => clock.pendingTimers() > 0, 'the retry delay');
      clock.advance(0);
    }
    const error = await outcome;
    expect(error.code).to.equal(-32007);
    expect(a.connections[0]!.count('pool.assign')).to.equal(3);
  });

  it('assign() with an idempotencyKey survives a 1012 close before the reply: sent again on the next replica', async () => {
    let seenOnA = 0;
    a.handle('pool.assign', () => {
      seenOnA++;
      return new Promise(() => {}); // the leader changed before it answered
    });
    b.handle('pool.assign', (p) => ({ result: { taskId: 't7', state: 'PENDING', deduplicated: p.idempotencyKey === 'k7' } }));
    const client = await connect({ requestTimeoutMs: 0 });
    const conn = await a.connection(0);
    const result = client.assign({ type: 'echo', idempotencyKey: 'k7' });
    await until(() => seenOnA === 1, 'the call on replica a');
    conn.ws.close(1012, 'leader changed');
    await until(() => clock.pendingTimers() >= 2, 'the reconnect and the retry delay');
    clock.advance(1000); // the reconnect (at once) and the retry's backoff delay
    expect(await result).to.deep.equal({ taskId: 't7', state: 'PENDING', deduplicated: true });
    expect(client.url).to.equal(b.url);
  });

  it('fromEnv reads a comma list in COORDD_URL as an array, one URL as a string', () => {
    expect(fromEnv({ COORDD_URL: ' ws://a:1/rpc , ws://b:2/rpc,' }).url).to.deep.equal(['ws://a:1/rpc', 'ws://b:2/rpc']);
    expect(fromEnv({ COORDD_URL: 'ws://a:1/rpc' }).url).to.equal('ws://a:1/rpc');
    expect(() => fromEnv({ COORDD_URL: 'ws://a:1/rpc,http://b' })).to.throw(/COORDD_URL must be a ws.*"http:\/\/b"/);
    expect(() => fromEnv({ COORDD_URL: ' , ' })).to.throw(/COORDD_URL is not set/);
  });

  it('refuses an empty URL list', () => {
    expect(() => new CoordClient({ url: [] })).to.throw(/at least one url/);
  });
});

describe('client/CoordClient liveness (a replica that froze)', () => {
  let clock: VirtualClock;
  const closers: (() => Promise<unknown>)[] = [];
  beforeEach(() => {
    clock = new VirtualClock();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  const goodDaemon = async (): Promise<FakeDaemon> => {
    const daemon = await FakeDaemon.start();
    closers.push(() => daemon.close());
    return daemon;
  };
  const connected = async (options: ConstructorParameters<typeof CoordClient>[0]): Promise<CoordClient> => {
    const client = new CoordClient({ reconnect: FAST, timers: clock, ...options });
    closers.push(() => client.close());
    await client.connect();
    return client;
  };

  it('gives up an opening handshake that never completes after connectTimeoutMs, and moves to the next URL', async () => {
    const frozen = createServer(() => undefined); // accepts TCP, never answers the upgrade
    frozen.listen(0, '127.0.0.1');
    await once(frozen, 'listening');
    closers.push(() => new Promise((resolve) => frozen.close(resolve)));
    frozen.on('connection', (socket) => closers.push(async () => socket.destroy()));
    const good = await goodDaemon();
    const frozenUrl = `ws://127.0.0.1:${(frozen.address() as AddressInfo).port}/rpc`;
    const client = await connected({ url: [frozenUrl, good.url], connectTimeoutMs: 200 });
    expect(client.url).to.equal(good.url);
  });

  it('drops a connection whose ping gets no pong by the next keepalive tick, and reconnects elsewhere', async () => {
    const mute = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/rpc', autoPong: false });
    await once(mute, 'listening');
    closers.push(() => new Promise((resolve) => mute.close(resolve)));
    const pings: number[] = [];
    mute.on('connection', (ws) => ws.on('ping', () => pings.push(Date.now())));
    const good = await goodDaemon();
    const muteUrl = `ws://127.0.0.1:${(mute.address() as AddressInfo).port}/rpc`;
    const client = await connected({ url: [muteUrl, good.url], keepaliveMs: 1000 });
    clock.advance(1000);
    await until(() => pings.length === 1, 'the first ping');
    const closed = once(client, 'close');
    clock.advance(1000); // no pong came: the connection is dropped
    expect((await closed)[0]).to.include({ willReconnect: true });
    const reconnected = once(client, 'reconnect');
    clock.advance(FAST.initialDelayMs);
    await reconnected;
    expect(client.url).to.equal(good.url);
  });

  it('keeps a connection whose pings are answered', async () => {
    const good = await goodDaemon();
    const client = await connected({ url: good.url, keepaliveMs: 1000 });
    const ws = (await good.connection(0)).ws;
    let pongsSent = 0;
    ws.on('ping', () => pongsSent++);
    for (let i = 1; i <= 3; i++) {
      clock.advance(1000);
      await until(() => pongsSent === i, `ping ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the pong's way back
    }
    expect(client.connected).to.equal(true);
    expect(good.connections).to.have.length(1);
  });
});
