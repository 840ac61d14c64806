import type { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import type { Log } from '../log.js';
import type { Transport } from './transport.js';

/** WebSocket close codes the daemon uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  /** coordd: the agent id registered again from another connection. */
  TAKEN_OVER: 4001,
  /** coordd: the agent was removed (missed heartbeats, despawned). */
  REMOVED: 4002,
  /** coordd, cluster mode, never sent on a socket: the replica relaying the connection stopped heartbeating. */
  REPLICA_LOST: 4003,
  /** The leader changed: the session lived on the old leader; reconnect (to any replica). */
  SERVICE_RESTART: 1012,
} as const;

/**
 * A Transport over one ws WebSocket: text frames only (binary is closed with 1003), liveness
 * tracked by pongs, and a send high-water mark past which a client that does not read is cut off.
 */
export class WsTransport implements Transport {
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
  private alive = true;
  private closedByUs: string | undefined;
  private closed = false;
  private readonly closeWaiters: (() => void)[] = [];
  private corked = false;
  /** Flushes what send() corked; made once so a send allocates no closure. */
  private readonly uncorkNow = (): void => {
    this.corked = false;
    this.options.socket?.uncork();
  };

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    readonly remoteAddress: string | undefined,
    private readonly options: {
      highWaterMarkBytes: number;
      log: Log;
      onCutOff?: (reason: string) => void;
      /** The socket under `ws`: replies sent in one tick are corked into one write. */
      socket?: Duplex;
    },
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.cutOff('binary_frame');
        ws.close(CloseCode.UNSUPPORTED_DATA, 'binary frames are not accepted; send JSON text');
        return;
      }
      this.onmessage?.(data.toString());
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('error', (err) => {
      // ws closes the socket itself (1009 for oversize frames, 1002 for protocol errors).
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.cutOff('frame_too_large');
      else this.cutOff('protocol_error');
      options.log.warn({ connectionId: id, err: err.message }, 'websocket error');
    });
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.onclose?.(code, reason.toString());
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  /** Run `fn` once the socket has closed (at once if it already has). */
  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.closeWaiters.push(fn);
  }

  /** Drop the socket without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Why the daemon ended this connection, if it did. */
  get closeReason(): string | undefined {
    return this.closedByUs;
  }

  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.options.highWaterMarkBytes) {
      this.cutOff('slow_consumer');
      this.options.log.warn({ connectionId: this.id, bufferedBytes: this.ws.bufferedAmount }, 'client is not reading; disconnecting');
      this.ws.terminate();
      return;
    }
    // Cork the socket until the end of this tick: the replies to every request that arrived in
    // one read go out in one writev, not one syscall (and one write request's worth of objects)
    // each. Nothing waits: the tick ends as soon as the current batch of messages is handled.
    const socket = this.options.socket;
    if (socket !== undefined && !this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncorkNow);
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.cutOff('closed_by_daemon');
    this.ws.close(code, reason);
  }

  /** One heartbeat tick: terminate if the last ping went unanswered, else ping again. */
  heartbeat(): void {
    if (!this.alive) {
      this.cutOff('heartbeat_timeout');
      this.options.log.info({ connectionId: this.id }, 'no pong since last ping; terminating');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  private cutOff(reason: string): void {
    if (this.closedByUs) return;
    this.closedByUs = reason;
    this.options.onCutOff?.(reason);
  }
}
