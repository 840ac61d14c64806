import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** What the fake daemon answers a client's request with: a result, or an error object. */
export type FakeReply = { result: unknown } | { error: { code: number; message: string; data?: unknown } };
export type FakeHandler = (params: any, conn: FakeConnection) => FakeReply | Promise<FakeReply>;

/**
 * One client socket as the fake daemon sees it: every message the client sends is queued by
 * method, and the daemon's own requests to the client resolve with the client's raw reply.
 */
export class FakeConnection {
  private readonly inbox = new Map<string, unknown[]>();
  private readonly waiters = new Map<string, ((params: unknown) => void)[]>();
  private readonly replies = new Map<number, (reply: any) => void>();
  private nextId = 1;
  readonly closed: Promise<void>;

  constructor(
    readonly ws: WebSocket,
    readonly headers: Record<string, string | string[] | undefined>,
    private readonly daemon: FakeDaemon,
  ) {
    this.closed = once(ws, 'close').then(() => undefined);
    ws.on('message', (data) => void this.receive(JSON.parse(String(data))));
  }

  /** The params of the next `method` message the client sent (queued if it came earlier). */
  next(method: string): Promise<any> {
    const queued = this.inbox.get(method);
    if (queued?.length) return Promise.resolve(queued.shift());
    return new Promise((resolve) => this.waiters.set(method, [...(this.waiters.get(method) ?? []), resolve]));
  }

  /** Messages of `method` received and not yet taken. */
  count(method: string): number {
    return this.inbox.get(method)?.length ?? 0;
  }

  /** Send a request to the client; resolves with its whole reply (`{result}` or `{error}`). */
  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    const reply = new Promise<any>((resolve) => this.replies.set(id, resolve));
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return reply;
  }

  notify(method: string, params: unknown): void {
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
  }

  /** Drop the connection abruptly, as a crashed daemon or a broken network would. */
  drop(): Promise<void> {
    this.ws.terminate();
    return this.closed;
  }

  private async receive(message: any): Promise<void> {
    if (message.method === undefined) {
      this.replies.get(message.id)?.(message);
      this.replies.delete(message.id);
      return;
    }
    const handler = this.daemon.handlers.get(message.method);
    if (message.id !== undefined) {
      const reply: FakeReply = handler ? await handler(message.params, this) : { error: { code: -32601, message: 'Method not found' } };
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...reply }));
    }
    const waiter = this.waiters.get(message.method)?.shift();
    if (waiter) waiter(message.params);
    else this.inbox.set(message.method, [...(this.inbox.get(message.method) ?? []), message.params]);
  }
}

export interface FakeDaemonOptions {
  /** When set, upgrades without `Authorization: Bearer <token>` get HTTP 401. */
  token?: string;
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** What agent.register answers. */
  heartbeatIntervalMs?: number;
}

/**
 * A small stand-in for coordd on a real socket (port 0): answers `agent.register` like the
 * daemon does, lets a test answer any other method, and hands each connection to the test.
 */
export class FakeDaemon extends EventEmitter<{ connection: [FakeConnection] }> {
  readonly handlers = new Map<string, FakeHandler>();
  readonly connections: FakeConnection[] = [];
  private readonly wss: WebSocketServer;
  private registered = 0;

  private constructor(
    wss: WebSocketServer,
    readonly options: FakeDaemonOptions,
  ) {
    super();
    this.wss = wss;
    wss.on('connection', (ws, req) => {
      const conn = new FakeConnection(ws, req.headers, this);
      this.connections.push(conn);
      this.emit('connection', conn);
    });
    this.handle('agent.register', (p) => {
      this.registered += 1;
      return {
        result: {
          agentId: p.agentId ?? `agent-${this.registered}`,
          contextWindowId: p.contextWindowId ?? `ctx-${this.registered}`,
          heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000,
          leaseTtlMs: 3 * (options.heartbeatIntervalMs ?? 60_000),
        },
      };
    });
  }

  static async start(options: FakeDaemonOptions = {}): Promise<FakeDaemon> {
    const wss = new WebSocketServer({
      port: options.port ?? 0,
      host: '127.0.0.1',
      path: '/rpc',
      verifyClient: (info, done) => done(!options.token || info.req.headers.authorization === `Bearer ${options.token}`, 401),
    });
    await once(wss, 'listening');
    return new FakeDaemon(wss, options);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/rpc`;
  }

  /** Answer `method` requests with `handler` (replaces any earlier one). */
  handle(method: string, handler: FakeHandler): void {
    this.handlers.set(method, handler);
  }

  /** The next connection (or the Nth one, 0-based, if it already came). */
  async connection(index = this.connections.length): Promise<FakeConnection> {
    const existing = this.connections[index];
    if (existing) return existing;
    while (this.connections.length <= index) await once(this, 'connection');
    return this.connections[index]!;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
