import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { WsTransport } from '../../../src/transport/ws-transport.js';
import { textFrame } from '../../../src/transport/text-frame.js';
import { silentLog } from '../../../src/log.js';

/** A server whose connections are WsTransports (replies written as our own frames), and a ws client. */
async function pair(): Promise<{ server: WsTransport; client: WebSocket; received: string[]; close(): Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const adopted = new Promise<WsTransport>((resolve) => {
    http.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => resolve(new WsTransport('t1', ws, undefined, { highWaterMarkBytes: 1 << 26, log: silentLog, socket: req.socket }))),
    );
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data, isBinary) => received.push(isBinary ? '<binary>' : data.toString()));
  await once(client, 'open');
  const server = await adopted;
  return {
    server,
    client,
    received,
    async close() {
      client.terminate();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('WsTransport', () => {
  it('delivers replies of every frame-length class, in order, as text messages', async () => {
    const p = await pair();
    try {
      const texts = ['', 'a', 'x'.repeat(125), 'y'.repeat(126), 'é'.repeat(63), 'é'.repeat(64), 'z'.repeat(65_535), 'w'.repeat(65_536), '€😀'.repeat(20_000)];
      for (const t of texts) p.server.send(t); // one tick: corked into one write
      while (p.received.length < texts.length) await once(p.client, 'message');
      expect(p.received).to.deep.equal(texts);
    } finally {
      await p.close();
    }
  });

  it('keeps replies ahead of a close in the same tick', async () => {
    const p = await pair();
    try {
      const closed = once(p.client, 'close');
      p.server.send('last words');
      p.server.close(4001, 'taken over');
      const [code, reason] = (await closed) as [number, Buffer];
      expect(p.received).to.deep.equal(['last words']);
      expect([code, reason.toString()]).to.deep.equal([4001, 'taken over']);
    } finally {
      await p.close();
    }
  });

  it('textFrame writes the RFC 6455 header for each length class', () => {
    expect([...textFrame('hi')]).to.deep.equal([0x81, 2, 0x68, 0x69]);
    expect([...textFrame('x'.repeat(126)).subarray(0, 4)]).to.deep.equal([0x81, 126, 0, 126]);
    expect([...textFrame('x'.repeat(70_000)).subarray(0, 10)]).to.deep.equal([0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    expect(textFrame('é').length).to.equal(4);
  });
});
