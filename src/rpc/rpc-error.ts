import { ProtocolErrors, type ProtocolErrorName } from '../errors.js';

/** A JSON-RPC error object as it crosses the wire. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

/** A protocol-level error the engine replies with. Handlers may throw it too. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** One of JSON-RPC's own errors, with the catalogue's message. */
  static protocol(name: ProtocolErrorName, data?: unknown): RpcError {
    const e = ProtocolErrors[name];
    return new RpcError(e.code, e.message, data);
  }

  toWire(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}
