import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import { systemClock, type Clock } from '../time/clock.js';

/** Why an outbound request did not get a result. Local errors: they never cross the wire. */
export type PeerErrorCode = 'TIMEOUT' | 'CLOSED' | 'REMOTE_ERROR' | 'SEND_FAILED';

/** An outbound request failed: timed out, the socket closed, or the peer answered with an error. */
export class PeerError extends Error {
  constructor(
    readonly code: PeerErrorCode,
    message: string,
    /** For REMOTE_ERROR: the peer's error object. */
    readonly remote?: { code: number; message: string; data?: unknown },
  ) {
    super(message);
    this.name = 'PeerError';
  }
}

export interface PeerRequestOptions {
  timeoutMs?: number;
  /**
   * Told, once the request has settled, how many milliseconds it waited on the peer: from the
   * request handed to the socket until its reply frame arrived (before parsing), or until the
   * timeout or the close. Serialising the request and parsing the reply are not in it.
   */
  onWaited?: (ms: number) => void;
}

/** Outbound calls to one connected client. */
export interface Peer {
  request<T = unknown>(method: string, params: object, options?: PeerRequestOptions): Promise<T>;
  notify(method: string, params: object): void;
}

/** Only this module can make it, so a peer cannot forge a local timeout. */
const TIMEOUT_MARK = Object.freeze({ coorddTimeout: true });

/**
 * The daemon's side of requests it sends to a connection, built on json-rpc-2.0's client:
 * ids and matching replies are the library's; timeouts (on the injected Clock, so tests need
 * not sleep), mapping outcomes to PeerError and failing everything pending at close are ours.
 */
export class RpcPeer implements Peer {
  private readonly client: JSONRPCClient<void>;
  private readonly pending = new Set<(err: PeerError) => void>();
  private closed = false;
  private nextId = 1;
  /** Requests whose wait is measured (they asked for onWaited), by id: when sent, when answered. */
  private readonly waits = new Map<number, { sentAt?: number; answeredAt?: number }>();

  constructor(
    send: (text: string) => void,
    private readonly defaultTimeoutMs: number,
    /** High-resolution milliseconds, only to measure waits. */
    private readonly now: () => number = () => performance.now(),
    /** Where request timeouts are scheduled. @defaultValue systemClock */
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
  ) {
    this.client = new JSONRPCClient<void>(
      (payload) => {
        send(JSON.stringify(payload));
        const wait = this.waits.get(payload.id as number);
        if (wait !== undefined) wait.sentAt = this.now();
      },
      () => this.nextId++,
    );
  }

  request<T = unknown>(method: string, params: object, options: PeerRequestOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new PeerError('CLOSED', 'connection closed'));
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const { onWaited } = options;
    // The library takes the next id synchronously inside request(): this is the one.
    const id = this.nextId;
    const wait: { sentAt?: number; answeredAt?: number } = {};
    if (onWaited !== undefined) this.waits.set(id, wait);
    let reported = onWaited === undefined;
    const settled = (): void => {
      // Once: a close fails the request here and again when the library rejects it.
      if (reported) return;
      reported = true;
      this.waits.delete(id);
      // Never sent (send failed): no wait. Not answered (timeout, close): waited until now.
      onWaited!(wait.sentAt === undefined ? 0 : Math.max(0, (wait.answeredAt ?? this.now()) - wait.sentAt));
    };
    return new Promise<T>((resolve, reject) => {
      // As the library's own timeout() does: answer the request locally with a marked error.
      const timer = this.clock.setTimeout(() => this.client.receive(createJSONRPCErrorResponse(id, 0, 'timeout', TIMEOUT_MARK)), timeoutMs);
      const fail = (err: PeerError): void => {
        this.clock.clearTimeout(timer);
        this.pending.delete(fail);
        settled();
        reject(err);
      };
      this.pending.add(fail);
      this.client.request(method, params).then(
        (result) => {
          this.clock.clearTimeout(timer);
          this.pending.delete(fail);
          settled();
          resolve(result as T);
        },
        (err: unknown) => fail(toPeerError(err, timeoutMs)),
      );
    });
  }

  notify(method: string, params: object): void {
    if (!this.closed) this.client.notify(method, params);
  }

  /** Hand a response message (a reply to one of our requests) to the waiting caller; `arrivedAt` is when its frame came in. */
  receive(message: Record<string, unknown>, arrivedAt?: number): void {
    if (this.waits.size > 0) {
      const wait = this.waits.get(message.id as number);
      if (wait !== undefined && wait.answeredAt === undefined) wait.answeredAt = arrivedAt ?? this.now();
    }
    this.client.receive(message as never);
  }

  /** Number of outbound requests awaiting a reply. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Fail every pending request with CLOSED; later requests fail at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const failures = [...this.pending];
    this.pending.clear();
    for (const fail of failures) fail(new PeerError('CLOSED', 'connection closed'));
    this.client.rejectAllPendingRequests('connection closed');
  }
}

function toPeerError(err: unknown, timeoutMs: number): PeerError {
  if (err instanceof JSONRPCErrorException) {
    if (err.data === TIMEOUT_MARK) return new PeerError('TIMEOUT', `no reply within ${timeoutMs} ms`);
    return new PeerError('REMOTE_ERROR', err.message, { code: err.code, message: err.message, data: err.data });
  }
  return new PeerError('SEND_FAILED', err instanceof Error ? err.message : 'send failed');
}
