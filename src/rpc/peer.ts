import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse } from 'json-rpc-2.0';

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

/** Outbound calls to one connected client. */
export interface Peer {
  request<T = unknown>(method: string, params: object, options?: { timeoutMs?: number }): Promise<T>;
  notify(method: string, params: object): void;
}

/** Only this module can make it, so a peer cannot forge a local timeout. */
const TIMEOUT_MARK = Object.freeze({ coorddTimeout: true });

/**
 * The daemon's side of requests it sends to a connection, built on json-rpc-2.0's client:
 * ids, matching replies and timeouts are the library's; mapping outcomes to PeerError and
 * failing everything pending at close are ours.
 */
export class RpcPeer implements Peer {
  private readonly client: JSONRPCClient<void>;
  private readonly pending = new Set<(err: PeerError) => void>();
  private closed = false;

  constructor(
    send: (text: string) => void,
    private readonly defaultTimeoutMs: number,
  ) {
    this.client = new JSONRPCClient<void>((payload) => send(JSON.stringify(payload)));
  }

  request<T = unknown>(method: string, params: object, options: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new PeerError('CLOSED', 'connection closed'));
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const fail = (err: PeerError): void => {
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      this.client
        .timeout(timeoutMs, (id) => createJSONRPCErrorResponse(id, 0, 'timeout', TIMEOUT_MARK))
        .request(method, params)
        .then(
          (result) => {
            this.pending.delete(fail);
            resolve(result as T);
          },
          (err: unknown) => fail(toPeerError(err, timeoutMs)),
        );
    });
  }

  notify(method: string, params: object): void {
    if (!this.closed) this.client.notify(method, params);
  }

  /** Hand a response message (a reply to one of our requests) to the waiting caller. */
  receive(message: Record<string, unknown>): void {
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
