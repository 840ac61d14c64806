import { JSONRPCServer, createJSONRPCErrorResponse, createJSONRPCSuccessResponse, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import type { MethodHandler } from './client-options.js';
import type { ClientTransport } from './client-transport.js';
import { messageOf, RpcError } from './errors.js';
import type { ClientLogger } from './logger.js';

/** The methods the daemon calls on a client (task.run, message.deliver…), served by json-rpc-2.0's server. */
export class ServedMethods {
  /** Told the connection each request came on, which is where its reply goes. */
  private readonly server: JSONRPCServer<ClientTransport>;

  constructor(private readonly log: ClientLogger) {
    this.server = new JSONRPCServer({ errorListener: (message, data) => this.log.warn({ err: data }, message) });
  }

  /** See {@link CoordClient.handle}. */
  add(method: string, handler: MethodHandler): void {
    this.server.addMethodAdvanced(method, async (request: JSONRPCRequest): Promise<JSONRPCResponse | null> => {
      const notification = request.id === undefined;
      try {
        const result = await handler(request.params, { notification });
        return notification ? null : createJSONRPCSuccessResponse(request.id ?? null, result ?? null);
      } catch (error) {
        if (notification) {
          this.log.warn({ err: error, method }, 'notification handler failed');
          return null;
        }
        const e = error instanceof RpcError ? error : new RpcError(-32603, messageOf(error));
        return createJSONRPCErrorResponse(request.id ?? null, e.code, e.message, e.data);
      }
    });
  }

  /** The reply (or replies, for a batch) to what the daemon sent on `conn`; null when nothing is to be sent. */
  answer(payload: JSONRPCRequest | JSONRPCRequest[], conn: ClientTransport): PromiseLike<JSONRPCResponse | JSONRPCResponse[] | null> {
    return this.server.receive(payload, conn);
  }
}
