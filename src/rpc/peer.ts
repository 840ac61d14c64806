import { AgentCallError } from '../agent-call-error.js';
import { PendingRequests, type PendingRequestErrors } from '../jsonrpc/pending-requests.js';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.js';
import { AppErrors } from '../errors.js';
import { measureValue, valueLimits, violationMessage } from '../schemas/json-value.js';

export interface PeerRequestOptions {
  timeoutMs?: number;
  /**
   * Told, once the request has settled, how many milliseconds it waited on the peer: from the
   * request handed to the connection until its reply frame arrived (before parsing), or until the
   * timeout or the close. Serialising the request and parsing the reply are not in it.
   */
  onWaited?: (ms: number) => void;
}

/** Outbound calls to one connected client; a failed request rejects with AgentCallError. */
export interface Peer {
  request<T = unknown>(method: string, params: object, options?: PeerRequestOptions): Promise<T>;
  notify(method: string, params: object): void;
}

const PEER_ERRORS: PendingRequestErrors = {
  timeout: (_method, timeoutMs) => new AgentCallError('timeout', `no reply within ${timeoutMs} ms`),
  remote: (error) => new AgentCallError('remote', error.message, error),
};

/**
 * The daemon's side of requests it sends to a connection: ids, matching replies, timeouts on the
 * injected Clock (tests need not sleep) and failing everything pending at close are the
 * PendingRequests table's; every failure is an AgentCallError, made here where it is seen.
 */
export class RpcPeer implements Peer {
  private readonly pending: PendingRequests<TimerHandle>;
  private closed = false;
  /** Requests whose wait is measured (they asked for onWaited), by id: when sent, when answered. */
  private readonly waits = new Map<number, { sentAt?: number; answeredAt?: number }>();

  constructor(
    /** Hands a frame to the connection (its outbox, in the daemon). */
    private readonly send: (text: string) => void,
    private readonly defaultTimeoutMs: number,
    /** High-resolution milliseconds, only to measure waits. */
    private readonly now: () => number = () => performance.now(),
    /** Where request timeouts are scheduled. @defaultValue systemClock */
    clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
    /** Told when a request or notification cannot be written as JSON (it is not sent); returns the error id it logged. */
    private readonly onUnsendable: (err: unknown, method: string) => string = () => '',
  ) {
    this.pending = new PendingRequests(clock, PEER_ERRORS);
  }

  request<T = unknown>(method: string, params: object, options: PeerRequestOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new AgentCallError('disconnected', 'connection closed'));
    const { onWaited } = options;
    let wait: { sentAt?: number; answeredAt?: number } | undefined;
    // Never sent (send failed): no wait. Not answered (timeout, close): waited until now.
    const settled =
      onWaited === undefined
        ? undefined
        : () => {
            this.waits.delete(id);
            onWaited(wait!.sentAt === undefined ? 0 : Math.max(0, (wait!.answeredAt ?? this.now()) - wait!.sentAt));
          };
    const { id, reply } = this.pending.add<T>(method, options.timeoutMs ?? this.defaultTimeoutMs, settled);
    if (settled !== undefined) this.waits.set(id, (wait = {}));
    let text: string;
    try {
      text = JSON.stringify({ jsonrpc: '2.0', method, params, id });
    } catch (err) {
      const e = AppErrors.REQUEST_UNSENDABLE;
      const errorId = this.onUnsendable(err, method);
      this.pending.reject(id, new AgentCallError('remote', e.message, { code: e.code, message: e.message, data: { name: 'REQUEST_UNSENDABLE', errorId } }));
      return reply;
    }
    try {
      this.send(text);
    } catch (err) {
      this.pending.reject(id, new AgentCallError('disconnected', err instanceof Error ? err.message : 'send failed'));
      return reply;
    }
    if (wait !== undefined) wait.sentAt = this.now();
    return reply;
  }

  notify(method: string, params: object): void {
    if (this.closed) return;
    let text: string;
    try {
      text = JSON.stringify({ jsonrpc: '2.0', method, params });
    } catch (err) {
      this.onUnsendable(err, method);
      return;
    }
    this.send(text);
  }

  /** Hand a response message (a reply to one of our requests) to the waiting caller; `arrivedAt` is when its frame came in. */
  receive(message: Record<string, unknown>, arrivedAt?: number): void {
    const bounded = boundedAnswer(message);
    if (bounded !== undefined) message = bounded;
    if (this.waits.size > 0) {
      const wait = this.waits.get(message.id as number);
      if (wait !== undefined && wait.answeredAt === undefined) wait.answeredAt = arrivedAt ?? this.now();
    }
    this.pending.answer(message);
  }

  /** Number of outbound requests awaiting a reply. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Fail every pending request as disconnected; later requests fail at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.rejectAll(() => new AgentCallError('disconnected', 'connection closed'));
  }
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
