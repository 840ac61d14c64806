import { once } from 'node:events';
import WebSocket from 'ws';

/**
 * A raw test client: sends exact text, reads every frame in order. `request` is a convenience
 * for one call; conformance tests use `sendText` + `next` to see exactly what came back.
 */
export class TestClient {
  private readonly queue: string[] = [];
  private readonly waiters: ((text: string) => void)[] = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
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

  /** The next frame, parsed. */
  async next(): Promise<any> {
    const text = this.queue.shift() ?? (await new Promise<string>((resolve) => this.waiters.push(resolve)));
    return JSON.parse(text);
  }

  /** Frames received and not yet read. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Call a method and return the whole response object. */
  async call(method: string, params?: unknown): Promise<any> {
    const id = this.nextId++;
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    const reply = await this.next();
    if (reply.id !== id) throw new Error(`expected reply to ${id}, got ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Call a method and return its result, throwing on an error reply. */
  async request(method: string, params?: unknown): Promise<any> {
    const reply = await this.call(method, params);
    if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}
