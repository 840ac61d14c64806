import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import { systemClock, type Clock } from '../time/clock.js';
import { AppErrors } from '../errors.js';
import { measureValue, valueLimits, violationMessage } from '../schemas/json-value.js';

/** Why an outbound request did not get a result. Local errors: they never cross the wire. */
export type PeerErrorCode = 'TIMEOUT' | 'CLOSED' | 'REMOTE_ERROR' | 'SEND_FAILED' | 'UNSENDABLE';

/** An outbound request failed: timed out, the socket closed, or the peer answered with an error. */
export class PeerError extends Error {
  constructor(
    readonly code: PeerErrorCode,
    message: string,
    /** For REMOTE_ERROR (and UNSENDABLE, in the catalogue's words): the error object. */
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
    private readonly now: () => number = systemClock.elapsed,
    /** Where request timeouts are scheduled. @defaultValue systemClock */
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
    /** Told when a request or notification cannot be written as JSON (it is not sent); returns the error id it logged. */
    private readonly onUnsendable: (err: unknown, method: string) => string = () => '',
  ) {
    this.client = new JSONRPCClient<void>(
      (payload) => {
        let text: string;
        try {
          text = JSON.stringify(payload);
        } catch (err) {
          const errorId = this.onUnsendable(err, payload.method);
          if (typeof payload.id === 'number') this.unsendable.set(payload.id, errorId);
          throw err;
        }
        send(text);
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
        (err: unknown) => {
          const errorId = this.unsendable.get(id);
          if (errorId === undefined) return fail(toPeerError(err, timeoutMs));
          this.unsendable.delete(id);
          const e = AppErrors.REQUEST_UNSENDABLE;
          fail(new PeerError('UNSENDABLE', e.message, { code: e.code, message: e.message, data: { name: 'REQUEST_UNSENDABLE', errorId } }));
        },
      );
    });
  }

  notify(method: string, params: object): void {
    if (!this.closed) this.client.notify(method, params);
  }

  /** Hand a response message (a reply to one of our requests) to the waiting caller; `arrivedAt` is when its frame came in. */
  receive(message: Record<string, unknown>, arrivedAt?: number): void {
    const bounded = boundedAnswer(message);
    if (bounded !== undefined) message = bounded;
    if (this.waits.size > 0) {
      const wait = this.waits.get(message.id as number);
      if (wait !== undefined && wait.answeredAt === undefined) wait.answeredAt = arrivedAt ?? this.now();
    }
    this.client.receive(message as never);
  }

  /** Requests whose params could not be written as JSON, by id, with the error id logged for them. */
  private readonly unsendable = new Map<number, string>();

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

/**
 * An answer (its result, or its error object) deeper or larger than the value limits is not
 * handed on: it becomes an ANSWER_TOO_LARGE error response, so the call fails with a catalogued
 * code, whatever the caller (task.run, message.deliver, route.decide). undefined when within limits.
 */
function boundedAnswer(message: Record<string, unknown>): Record<string, unknown> | undefined {
  const failed = 'error' in message;
  const value = failed ? message.error : message.result;
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'string' || value.length * 3 + 2 <= valueLimits().maxBytes) return undefined;
  }
  const measured = measureValue(value, valueLimits());
  if (!('violation' in measured)) return undefined;
  const v = measured.violation;
  const e = AppErrors.ANSWER_TOO_LARGE;
  const path = [failed ? 'error' : 'result', ...v.path].join('.');
  return {
    jsonrpc: '2.0',
    id: message.id,
    error: { code: e.code, message: e.message, data: { name: 'ANSWER_TOO_LARGE', path, limit: v.limit, max: v.max, detail: violationMessage(v) } },
  };
}
