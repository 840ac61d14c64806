/** A JSON-RPC error object as it crosses the wire. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

/** coordd's code for "no cluster leader could take this call; retry" (cluster mode; docs/errors.md). */
export const LEADER_UNAVAILABLE_CODE = -32007;

/** Catalogued error codes after which the same call may succeed if made again (docs/errors.md). */
export const RETRYABLE_CODES: readonly number[] = [LEADER_UNAVAILABLE_CODE];

/**
 * A JSON-RPC error with its numeric code: received from the other side, or to be sent as an
 * answer (a handler throws it). Shared by the daemon's engine and the client library.
 */
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
  toJSON(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}
