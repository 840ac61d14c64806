import { once } from 'node:events';
import WebSocket from 'ws';
import type { LinkedTransport } from '../../src/transport/linked-pair.js';

/** What a TestClient speaks over: a real WebSocket or the client end of an in-memory linked pair. */
interface Wire {
  send(text: string): void;
  close(): void;
  readonly isClosed: boolean;
}

/**
 * A raw test client: sends exact text and reads frames in order. Replies to `call`/`request`
 * are matched by id (so calls may run concurrently); every other frame (notifications, requests
 * from the daemon, replies to raw `sendText` messages) is queued for `next()`. `connect()` opens
 * a real WebSocket; `over()` speaks over an in-memory linked pair.
 */
export class TestClient {
  private readonly queue: string[] = [];
  private readonly waiters: ((text: string) => void)[] = [];
  private readonly pending = new Map<number, (reply: any) => void>();
  private nextId = 1_000_000;

  private constructor(
    private readonly wire: Wire,
    readonly closed: Promise<{ code: number; reason: string }>,
    private readonly socket?: WebSocket,
  ) {}

  static async connect(url: string, token?: string): Promise<TestClient> {
    const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await once(ws, 'open');
    const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    const wire: Wire = {
      send: (text) => ws.send(text),
      close: () => ws.close(),
      get isClosed() {
        return ws.readyState === WebSocket.CLOSED;
      },
    };
    const client = new TestClient(wire, closed, ws);
    ws.on('message', (data) => client.receive(data.toString()));
    return client;
  }

  /** A client over the client end of a linked pair (the daemon holds the other end). */
  static over(transport: LinkedTransport): TestClient {
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (transport.onclose = (code, reason) => resolve({ code, reason })));
    const wire: Wire = {
      send: (text) => transport.send(text),
      close: () => transport.close(1000, ''),
      get isClosed() {
        return !transport.isOpen;
      },
    };
    const client = new TestClient(wire, closed);
    transport.onmessage = (text) => client.receive(text);
    return client;
  }

  /** The WebSocket under this client (socket-level tests only). */
  get ws(): WebSocket {
    if (!this.socket) throw new Error('this TestClient speaks over an in-memory transport, not a WebSocket');
    return this.socket;
  }

  sendText(text: string): void {
    this.wire.send(text);
  }

  send(message: unknown): void {
    this.wire.send(JSON.stringify(message));
  }

  /** The next frame that was not a reply to call/request, parsed. */
  async next(): Promise<any> {
    const text = this.queue.shift() ?? (await new Promise<string>((resolve) => this.waiters.push(resolve)));
    return JSON.parse(text);
  }

  /** The next daemon → client message of `method`, skipping (and dropping) the others. */
  async nextOf(method: string): Promise<any> {
    for (;;) {
      const m = await this.next();
      if (m.method === method) return m;
    }
  }

  /** Frames received and not yet read with next(). */
  get buffered(): number {
    return this.queue.length;
  }

  /** Call a method and return the whole response object. */
  call(method: string, params?: unknown): Promise<any> {
    const id = this.nextId++;
    const reply = new Promise<any>((resolve) => this.pending.set(id, resolve));
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return reply;
  }

  /** Call a method and return its result, throwing on an error reply. */
  async request(method: string, params?: unknown): Promise<any> {
    const reply = await this.call(method, params);
    if (reply.error) throw Object.assign(new Error(`${method}: ${reply.error.message}`), reply.error);
    return reply.result;
  }

  async close(): Promise<void> {
    if (this.wire.isClosed) return;
    this.wire.close();
    await this.closed;
  }

  private receive(text: string): void {
    const id = replyId(text);
    const resolve = id === undefined ? undefined : this.pending.get(id);
    if (resolve) {
      this.pending.delete(id!);
      resolve(JSON.parse(text));
      return;
    }
    const w = this.waiters.shift();
    if (w) w(text);
    else this.queue.push(text);
  }
}

function replyId(text: string): number | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const m = JSON.parse(text) as { id?: unknown; method?: unknown };
    return m.method === undefined && typeof m.id === 'number' ? m.id : undefined;
  } catch {
    return undefined;
  }
}
