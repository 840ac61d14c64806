import { expect } from 'chai';
import WebSocket from 'ws';
import { once } from 'node:events';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

const sig = (agentId: string, value = 0.4) => ({ agentId, signalType: 'load', value });

/** §7 of the specification, with coordd's own methods in place of subtract/sum/get_data. */
describe('JSON-RPC 2.0 over a real WebSocket (spec §4–§7)', function () {
  let daemon: DaemonProcess;
  let client: TestClient;

  before(async () => {
    daemon = await startDaemon({ COORDD_MAX_PAYLOAD: '65536', COORDD_MAX_BATCH: '50' });
  });
  after(async () => {
    expect(await daemon.stop()).to.equal(0);
  });
  beforeEach(async () => {
    client = await TestClient.connect(daemon.url);
  });
  afterEach(async () => {
    await client.close();
  });

  it('answers a call with by-name params', async () => {
    client.sendText(JSON.stringify({ jsonrpc: '2.0', method: 'coordination.signal', params: sig('a1'), id: 1 }));
    const r = await client.next();
    expect(r).to.have.keys(['jsonrpc', 'id', 'result']);
    expect(r).to.deep.include({ jsonrpc: '2.0', id: 1 });
    expect(r.result.agentId).to.equal('a1');
  });

  it('sends nothing for notifications, known or unknown', async () => {
    client.sendText('{"jsonrpc": "2.0", "method": "coordination.signal", "params": {"agentId": "n1", "signalType": "load", "value": 0.2}}');
    client.sendText('{"jsonrpc": "2.0", "method": "foobar"}');
    client.sendText('{"jsonrpc": "2.0", "method": "rpc.discover", "id": "marker"}');
    const r = await client.next();
    expect(r.id).to.equal('marker');
    expect(client.buffered).to.equal(0);
    const state = await client.request('coordination.state', { agentId: 'n1' });
    expect(state.signals[0].value).to.equal(0.2);
  });

  it('-32601 for a non-existent method, keeping the id', async () => {
    client.sendText('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}');
    expect(await client.next()).to.deep.include({ id: '1', error: { code: -32601, message: 'Method not found', data: { method: 'foobar' } } });
  });

  it('-32700 with id null for invalid JSON, in a single message and in a batch', async () => {
    client.sendText('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]');
    const a = await client.next();
    client.sendText('[{"jsonrpc": "2.0", "method": "rpc.discover", "id": "1"},{"jsonrpc": "2.0", "method"]');
    const b = await client.next();
    for (const r of [a, b]) expect(r).to.deep.equal({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  });

  it('-32600 with id null for an invalid Request object', async () => {
    client.sendText('{"jsonrpc": "2.0", "method": 1, "params": "bar"}');
    const r = await client.next();
    expect(r.id).to.equal(null);
    expect(r.error.code).to.equal(-32600);
  });

  it('one -32600 object for an empty batch; an array for [1] and [1,2,3]', async () => {
    client.sendText('[]');
    expect((await client.next()).error.code).to.equal(-32600);
    client.sendText('[1]');
    const one = await client.next();
    expect(one).to.be.an('array').with.length(1);
    client.sendText('[1,2,3]');
    const three = await client.next();
    expect(three.map((r: any) => [r.id, r.error.code])).to.deep.equal([
      [null, -32600],
      [null, -32600],
      [null, -32600],
    ]);
  });

  it('a mixed batch: results, an invalid object, an unknown method, notifications left out', async () => {
    client.send([
      { jsonrpc: '2.0', method: 'coordination.signal', params: sig('b1', 0.1), id: '1' },
      { jsonrpc: '2.0', method: 'coordination.signal', params: sig('b2', 0.9) },
      { jsonrpc: '2.0', method: 'coordination.state', params: { agentId: 'b1' }, id: '2' },
      { foo: 'boo' },
      { jsonrpc: '2.0', method: 'foo.get', params: { name: 'myself' }, id: '5' },
      { jsonrpc: '2.0', method: 'coordination.metrics', id: '9' },
    ]);
    const replies: any[] = await client.next();
    expect(replies.map((r) => r.id).sort()).to.deep.equal([null, '1', '2', '5', '9'].sort());
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(byId.get('1').result.agentId).to.equal('b1');
    expect(byId.get('2').result.agentId).to.equal('b1');
    expect(byId.get(null).error.code).to.equal(-32600);
    expect(byId.get('5').error.code).to.equal(-32601);
    expect(byId.get('9').result.signals.accepted.load).to.be.at.least(2);
  });

  it('nothing at all for an all-notification batch', async () => {
    client.send([
      { jsonrpc: '2.0', method: 'coordination.signal', params: sig('c1') },
      { jsonrpc: '2.0', method: 'notify_hello', params: [7] },
    ]);
    client.send({ jsonrpc: '2.0', method: 'rpc.discover', id: 'after' });
    expect((await client.next()).id).to.equal('after');
  });

  it('refuses a batch over COORDD_MAX_BATCH with an array of one Invalid Request, running none of it', async () => {
    client.send(
      Array.from({ length: 51 }, (_, i) => ({
        jsonrpc: '2.0',
        id: i,
        method: 'coordination.signal',
        params: { agentId: `over-batch-${i}`, signalType: 'load', value: 0.5 },
      })),
    );
    const r = await client.next();
    expect(r).to.be.an('array').with.length(1);
    expect(r[0]).to.deep.include({ jsonrpc: '2.0', id: null });
    expect(r[0].error.code).to.equal(-32600);
    expect(r[0].error.data.maxBatch).to.equal(50);
    expect((await client.call('coordination.state', { agentId: 'over-batch-0' })).error.code, 'nothing of it ran').to.equal(-32010);
  });

  it('treats toString, __proto__ and constructor as unknown methods', async () => {
    for (const method of ['toString', '__proto__', 'constructor', 'rpc.other']) {
      const r = await client.call(method, {});
      expect(r.error.code, method).to.equal(-32601);
    }
  });

  it('closes a connection that sends a binary frame with 1003, and others carry on', async () => {
    const other = await TestClient.connect(daemon.url);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.closed).code).to.equal(1003);
    expect((await other.request('coordination.metrics')).agentsTracked).to.be.a('number');
    await other.close();
  });

  it('closes a connection whose frame exceeds COORDD_MAX_PAYLOAD with 1009, and others carry on', async () => {
    const other = await TestClient.connect(daemon.url);
    client.sendText(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'rpc.discover', params: { pad: 'x'.repeat(70_000) } }));
    expect((await client.closed).code).to.equal(1009);
    expect(await other.request('rpc.discover')).to.have.property('openrpc');
    await other.close();
  });

  it('survives a flood of malformed input on many connections', async () => {
    const garbage = [
      '',
      ' ',
      '{',
      ']',
      'null',
      '[[]]',
      '[{}]',
      '{"jsonrpc":"2.0","id":{},"method":"x"}',
      '\u0000',
      '"\\ud800"',
      '1e999',
      '{"__proto__":{"x":1}}',
    ];
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(daemon.url)));
    for (const c of clients) for (const g of garbage) c.sendText(g);
    for (const c of clients) {
      for (let i = 0; i < garbage.length; i++) {
        const r = await c.next();
        expect(r.error ?? r[0]?.error, JSON.stringify(r)).to.exist;
      }
      await c.close();
    }
    expect(await client.request('rpc.discover')).to.have.property('methods');
  });

  it('refuses HTTP requests to /rpc that are not upgrades with 426, unknown paths with 404', async () => {
    expect((await fetch(`${daemon.httpUrl}/rpc`)).status).to.equal(426);
    expect((await fetch(`${daemon.httpUrl}/nope`)).status).to.equal(404);
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.port}/elsewhere`);
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err.message).to.contain('404');
  });
});
