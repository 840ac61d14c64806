/**
 * Two error families, as in the MCP SDK: {@link RpcError} crosses the wire with a numeric
 * JSON-RPC code (a reply from the daemon, or what a handler answers); {@link ClientError}
 * is local to this library, has a string code and never goes on the wire.
 */

export { RpcError, LEADER_UNAVAILABLE_CODE, RETRYABLE_CODES } from '../jsonrpc/rpc-error.js';

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

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
