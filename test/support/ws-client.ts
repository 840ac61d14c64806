import { once } from 'node:events';
import WebSocket from 'ws';

/**
 * A raw test client: sends exact text and reads frames in order. Replies to `call`/`request`
 * are matched by id (so calls may run concurrently); every other frame (notifications, requests
 * from the daemon, replies to raw `sendText` messages) is queued for `next()`.
 */
export class TestClient {
  private readonly queue: string[] = [];
  private readonly waiters: ((text: string) => void)[] = [];
  private readonly pending = new Map<number, (reply: any) => void>();
  private nextId = 1_000_000;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
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
    });
    this.closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  }

  static async connect(url: string, token?: string): Promise<TestClient> {
    const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await once(ws, 'open');
    return new TestClient(ws);
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next frame that was not a reply to call/request, parsed. */
  async next(): Promise<any> {
    const text = this.queue.shift() ?? (await new Promise<string>((resolve) => this.waiters.push(resolve)));
    return JSON.parse(text);
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
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
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
