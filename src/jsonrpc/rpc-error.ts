/** A JSON-RPC error object as it crosses the wire. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

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

  /** The wire form `{code, message, data?}`. */
  toJSON(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}
