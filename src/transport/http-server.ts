import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.js';
import type { Identity, TokenTable } from './auth.js';
import type { OriginPolicy } from './origin-policy.js';
import { credentialOf, tokenProtocol } from './subprotocol.js';
import { WsTransport } from './ws-transport.js';
import { defaultUiDir, StaticFiles } from './static-files.js';

export interface HttpServerOptions {
  /** @defaultValue '127.0.0.1' */
  host: string;
  /** 0 picks a free port. @defaultValue 7420 */
  port: number;
  /** Largest WebSocket frame; larger ones close the socket with 1009. @defaultValue 1 MiB */
  maxPayloadBytes: number;
  /** Further upgrades get HTTP 503. @defaultValue 10000 */
  maxConnections: number;
  /** Ping period; a socket that missed the previous pong is terminated. @defaultValue 30 s */
  heartbeatIntervalMs: number;
  /** Per-socket unsent bytes past which a non-reading client is disconnected. @defaultValue 16 MiB */
  highWaterMarkBytes: number;
  /** PEM certificate and key: serve https:// and wss:// instead of http:// and ws://. @defaultValue none */
  tls?: { cert: Buffer; key: Buffer };
  /** The built dashboard served at /ui/. @defaultValue dist/ui of the package */
  uiDir?: string;
}

export const DEFAULT_HTTP_SERVER_OPTIONS: Readonly<Omit<HttpServerOptions, 'tls' | 'uiDir'>> = Object.freeze({
  host: '127.0.0.1',
  port: 7420,
  maxPayloadBytes: 1024 * 1024,
  maxConnections: 10_000,
  heartbeatIntervalMs: 30_000,
  highWaterMarkBytes: 16 * 1024 * 1024,
});

export interface HttpServerDeps {
  log: Log;
  ids: IdGenerator;
  tokens: TokenTable;
  /** Which browser pages may open a WebSocket (requests without Origin always may). */
  origins: OriginPolicy;
  metrics: () => Promise<{ contentType: string; body: string }>;
  isReady: () => boolean;
  onConnection: (transport: WsTransport, identity: Identity) => void;
  onAuthFailure?: () => void;
  onOriginRefused?: () => void;
  onCutOff?: (reason: string) => void;
  /** Where the ping interval and the close wait run. @defaultValue systemClock */
  clock?: Clock;
}

/**
 * The one HTTP server: WebSocket upgrade at /rpc (with bearer-token auth), GET /metrics,
 * /livez, /healthz, /readyz and the dashboard under /ui/. Knows nothing of JSON-RPC or the domain.
 */
export class HttpServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<WsTransport>();
  private heartbeat: TimerHandle | undefined;
  private accepting = true;
  private readonly ui: StaticFiles;
  private readonly clock: Clock;

  constructor(
    private readonly deps: HttpServerDeps,
    private readonly options: HttpServerOptions,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.ui = new StaticFiles(options.uiDir ?? defaultUiDir());
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.onRequest(req, res);
    this.server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // A token offered as a subprotocol is echoed back as the chosen one (browsers require the echo).
      handleProtocols: (offered) => tokenProtocol(offered) ?? offered.values().next().value ?? false,
    });
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Start listening; resolves with the bound port and the WebSocket URL. */
  async listen(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.heartbeat = this.clock.setInterval(() => {
      for (const c of this.connections) c.heartbeat();
    }, this.options.heartbeatIntervalMs);
    const { port } = this.server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return { port, url: `${this.options.tls ? 'wss' : 'ws'}://${host}:${port}/rpc` };
  }

  /** Open WebSocket connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Refuse new upgrades (503) from now on; open connections carry on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Close every socket with `code`, wait (bounded) for them to go, then stop listening. */
  async close(code: number, reason: string, waitMs = 2000): Promise<void> {
    this.accepting = false;
    if (this.heartbeat) this.clock.clearInterval(this.heartbeat);
    const open = [...this.connections];
    const gone = Promise.all(open.map((c) => new Promise<void>((resolve) => c.whenClosed(resolve))));
    for (const c of open) c.close(code, reason);
    let timer: TimerHandle | undefined;
    await Promise.race([gone, new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, waitMs)))]);
    this.clock.clearTimeout(timer!);
    for (const c of this.connections) c.terminate();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/rpc') return refuse(socket, 404, 'Not Found');
    if (!this.accepting) return refuse(socket, 503, 'Service Unavailable');
    if (this.connections.size >= this.options.maxConnections) return refuse(socket, 503, 'Service Unavailable');
    const origin = req.headers.origin;
    if (!this.deps.origins.allows(origin, req.headers.host)) {
      this.deps.onOriginRefused?.();
      this.deps.log.warn({ origin: origin?.slice(0, 256), remoteAddress: req.socket.remoteAddress }, 'websocket upgrade refused: origin not allowed');
      return refuse(socket, 403, 'Forbidden');
    }
    const identity = this.deps.tokens.authenticate(credentialOf(req.headers.authorization, req.headers['sec-websocket-protocol']));
    if (!identity) {
      this.deps.onAuthFailure?.();
      this.deps.log.warn({ remoteAddress: req.socket.remoteAddress }, 'websocket upgrade refused: missing or unknown token');
      return refuse(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer realm="coordd"\r\n');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, req, identity));
  }

  private adopt(ws: WebSocket, req: IncomingMessage, identity: Identity): void {
    const transport = new WsTransport(this.deps.ids(), ws, (req.socket as Socket).remoteAddress, {
      highWaterMarkBytes: this.options.highWaterMarkBytes,
      log: this.deps.log,
      onCutOff: this.deps.onCutOff,
      socket: req.socket,
    });
    this.connections.add(transport);
    transport.whenClosed(() => this.connections.delete(transport));
    this.deps.onConnection(transport, identity);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/livez' || path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') return this.deps.isReady() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'not ready' });
    if (path === '/metrics') {
      try {
        const { contentType, body } = await this.deps.metrics();
        res.writeHead(200, { 'content-type': contentType }).end(body);
      } catch (err) {
        this.deps.log.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      }
      return;
    }
    if (path !== undefined && this.ui.handles(path)) return this.ui.serve(req, res, path);
    if (path === '/rpc') {
      res.writeHead(426, { upgrade: 'websocket', 'content-type': 'text/plain' }).end('use a WebSocket upgrade\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function refuse(socket: Duplex, status: number, text: string, extraHeaders = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${extraHeaders}\r\n`);
  socket.destroy();
}
