/**
 * The floor coordd is compared with: a bare `ws` server that answers every text frame with one
 * fixed, JSON-RPC-shaped reply of about the size of a coordination.signal result. No parsing,
 * no dispatch, no domain: what is left is WebSocket framing and the socket writes.
 * Run as its own process by bench/signals.ts; prints the same "listening" line as the daemon.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** Same shape and about the same length as coordd's reply to a single coordination.signal. */
export const ECHO_REPLY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { signalId: 'sig-echo-00000000', agentId: 'agent-00000', routingScore: 0.5 },
});

const server = createServer((_req, res) => res.writeHead(404).end());
// The daemon's own WebSocketServer settings, so the framing work is the same.
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false, clientTracking: false });
server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/rpc') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (_data, isBinary) => {
      if (!isBinary) ws.send(ECHO_REPLY);
    });
    ws.on('error', () => ws.terminate());
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, url: `ws://127.0.0.1:${port}/rpc` })}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
