/**
 * Two error families, as in the MCP SDK: {@link RpcError} crosses the wire with a numeric
 * JSON-RPC code (a reply from the daemon, or what a handler answers); {@link ClientError}
 * is local to this library, has a string code and never goes on the wire.
 */

/** The daemon's code for "no cluster leader could take this call; retry" (cluster mode). */
export const LEADER_UNAVAILABLE_CODE = -32007;

/** Catalogued error codes after which the same call may succeed if made again (docs/errors.md). */
export const RETRYABLE_CODES: readonly number[] = [LEADER_UNAVAILABLE_CODE];

/** A JSON-RPC error object: received from the daemon, or to be sent as a handler's answer. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /**
   * Whether the same call may succeed if made again (LEADER_UNAVAILABLE during a cluster's failover).
   * A call that is not idempotent (`pool.assign` without an `idempotencyKey`) may have taken effect.
   */
  get retryable(): boolean {
    return RETRYABLE_CODES.includes(this.code);
  }

  /** How long the daemon suggests waiting before the retry (`data.retryAfterMs`), if it said. */
  get retryAfterMs(): number | undefined {
    const value = (this.data as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  }

  /** The wire form `{code, message, data?}`. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

export const CLIENT_ERROR_CODES = [
  'NOT_CONNECTED', // a call was made while there is no open socket
  'CONNECTION_LOST', // the socket closed before the reply came
  'TIMEOUT', // no reply within the request's timeoutMs
  'CLOSED', // close() was called
  'CONNECT_FAILED', // the first connection (or its setup) failed
  'AUTH_FAILED', // the daemon refused the token (HTTP 401/403); never retried
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** A local failure of the client (connection state, timeouts); never sent to the daemon. */
export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClientError';
  }
}

/**
 * What a task handler may throw to control the failure: `retryable: false` makes it final.
 * Any error with a boolean `retryable` property works the same way.
 */
export class TaskFailure extends Error {
  readonly retryable: boolean;
  readonly data?: Record<string, unknown>;

  constructor(message: string, options: { retryable?: boolean; data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TaskFailure';
    this.retryable = options.retryable ?? true;
    this.data = options.data;
  }
}
