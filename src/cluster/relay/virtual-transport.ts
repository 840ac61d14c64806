import type { Transport } from '../../transport/transport.js';

/** Where a virtual transport's outgoing frames and close go: its gateway's stream, batched per turn. */
export interface VirtualTransportSink {
  send(gatewayId: string, connId: string, text: string): void;
  close(gatewayId: string, connId: string, code: number, reason: string): void;
  /** The transport ended (either side): forget it. */
  ended(transport: VirtualTransport): void;
}

/**
 * On the leader, one connection a gateway relays: the core reads and writes it as any socket. Its
 * frames arrive from the calls stream (`deliver`); what the core sends goes to `to:<gatewayId>`.
 */
export class VirtualTransport implements Transport {
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
  private open = true;
  private closedBy: string | undefined;

  constructor(
    readonly gatewayId: string,
    readonly connId: string,
    private readonly sink: VirtualTransportSink,
  ) {}

  get id(): string {
    return this.connId;
  }

  get remoteAddress(): string {
    return `relay:${this.gatewayId}`;
  }

  /** Why the leader ended the connection, if it did. */
  get closeReason(): string | undefined {
    return this.closedBy;
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(text: string): void {
    if (this.open) this.sink.send(this.gatewayId, this.connId, text);
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.closedBy = 'closed_by_daemon';
    this.sink.close(this.gatewayId, this.connId, code, reason);
    this.end(code, reason);
  }

  /** A frame its client sent, relayed by the gateway. */
  deliver(text: string): void {
    if (this.open) this.onmessage?.(text);
  }

  /** The client's socket closed on the gateway, or the gateway itself is gone: the connection ends. */
  ended(code: number, reason: string): void {
    if (this.open) this.end(code, reason);
  }

  private end(code: number, reason: string): void {
    this.open = false;
    this.sink.ended(this);
    // As a socket's close event: after the current call returns, never inside it.
    queueMicrotask(() => this.onclose?.(code, reason));
  }
}
