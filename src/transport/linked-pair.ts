import type { Transport } from './transport.js';

/**
 * One end of an in-memory connection, as the MCP SDK's `InMemoryTransport.createLinkedPair()`.
 * What one end sends arrives at the other in order, a microtask later (never inside the
 * sender's call, as on a socket); closing either end closes both, after the frames already sent.
 */
export class LinkedTransport implements Transport {
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
  private other!: LinkedTransport;
  /** This end may still send. */
  private open = true;
  /** This end has heard the close; nothing more arrives. */
  private ended = false;
  private closedBy: string | undefined;

  private constructor(
    readonly id: string,
    readonly remoteAddress: string | undefined,
    /** What closeReason says when this end closed the connection. */
    private readonly closeLabel: string,
  ) {}

  /** Two connected ends: `[client, server]`. The server end is what the daemon's `connect()` takes. */
  static pair(id: string, remoteAddress?: string): [client: LinkedTransport, server: LinkedTransport] {
    const client = new LinkedTransport(`${id}-client`, remoteAddress, 'closed_by_client');
    const server = new LinkedTransport(id, remoteAddress, 'closed_by_daemon');
    client.other = server;
    server.other = client;
    return [client, server];
  }

  /** Why this end closed the connection, if it did. */
  get closeReason(): string | undefined {
    return this.closedBy;
  }

  /** Whether this end may still send. */
  get isOpen(): boolean {
    return this.open;
  }

  send(text: string): void {
    if (!this.open) return;
    const other = this.other;
    queueMicrotask(() => {
      if (!other.ended) other.onmessage?.(text);
    });
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.closedBy = this.closeLabel;
    this.shut(code, reason);
    this.other.shut(code, reason);
  }

  private shut(code: number, reason: string): void {
    this.open = false;
    queueMicrotask(() => {
      this.ended = true;
      this.onclose?.(code, reason);
    });
  }
}
