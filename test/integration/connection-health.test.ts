import { expect } from 'chai';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startDaemon } from '../support/daemon-process.js';
import { startInProcess } from '../support/in-process-daemon.js';
import { TestClient } from '../support/ws-client.js';

describe('connection health: heartbeats and backpressure', () => {
  it('terminates a socket that stops answering pings, keeps one that answers', async () => {
    const daemon = await startDaemon({ COORDD_HEARTBEAT_INTERVAL: '0.05' });
    const silent = new WebSocket(daemon.url, { autoPong: false });
    const healthy = await TestClient.connect(daemon.url);
    let pings = 0;
    healthy.ws.on('ping', () => pings++);
    const [code] = (await once(silent, 'close')) as [number];
    expect(code).to.equal(1006);
    while (pings < 3) await once(healthy.ws, 'ping');
    expect(await healthy.request('rpc.discover')).to.have.property('openrpc');
    const text = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
    expect(text).to.match(/coordd_ws_disconnects_total\{reason="heartbeat_timeout"\} 1/);
    await healthy.close();
    await daemon.stop();
  });

  it('disconnects a client that does not read instead of buffering without bound', async () => {
    const daemon = await startDaemon({ COORDD_SEND_HIGH_WATER_MARK: '65536' });
    const reader = await TestClient.connect(daemon.url);
    const slow = await TestClient.connect(daemon.url);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const request = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'rpc.discover' });
    for (let i = 0; i < 2000; i++) slow.ws.send(request);
    const line = await daemon.waitForLog((l) => l.msg === 'client is not reading; disconnecting');
    expect(line.bufferedBytes).to.be.above(65536);
    expect(await reader.request('coordination.metrics')).to.have.property('agentsTracked');
    await reader.close();
    slow.ws.terminate();
    await daemon.stop();
  });

  it('refuses upgrades beyond COORDD_MAX_CONNECTIONS with 503', async () => {
    const daemon = await startDaemon({ COORDD_MAX_CONNECTIONS: '2' });
    const a = await TestClient.connect(daemon.url);
    const b = await TestClient.connect(daemon.url);
    const third = new WebSocket(daemon.url);
    const [, res] = (await once(third, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).to.equal(503);
    third.on('error', () => undefined);
    third.terminate();
    await a.close();
    await b.close();
    await daemon.stop();
  });
  it('refuses calls beyond COORDD_MAX_PENDING on one connection with TOO_MANY_PENDING, and serves again once they answer', async () => {
    const daemon = await startInProcess({ COORDD_MAX_PENDING: '2' });
    const op = daemon.connect();
    const other = daemon.connect();
    const { taskId } = await op.request('pool.assign', { type: 'never', requiredCapabilities: ['nobody-has-this'] });
    const waits = [op.call('task.wait', { taskId, timeoutMs: 60_000 }), op.call('task.wait', { taskId, timeoutMs: 60_000 })];
    const refused = await op.call('task.get', { taskId });
    expect(refused.error).to.deep.include({ code: -32003 });
    expect(refused.error.data).to.deep.include({ pending: 2, max: 2 });
    expect((await other.request('task.get', { taskId })).state, 'another connection is not affected').to.equal('PENDING');
    await other.request('task.cancel', { taskId });
    for (const w of waits) expect((await w).result.state).to.equal('CANCELLED');
    expect((await op.request('task.get', { taskId })).state, 'served again once the waits answered').to.equal('CANCELLED');
    await op.close();
    await other.close();
    await daemon.stop();
  });
});
