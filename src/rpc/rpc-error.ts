import { ProtocolErrors, type ProtocolErrorName } from '../errors.js';
import { RpcError } from '../jsonrpc/rpc-error.js';

export { RpcError, type WireError } from '../jsonrpc/rpc-error.js';

/** One of JSON-RPC's own errors, with the catalogue's message. */
export function protocolError(name: ProtocolErrorName, data?: unknown): RpcError {
  const e = ProtocolErrors[name];
  return new RpcError(e.code, e.message, data);
}
