import type { ErrorObject } from './jsonrpc/pending-requests.js';

/** How a call to an agent failed: no reply in time, the connection is gone (or the call could not be sent), or the agent answered with an error. */
export type AgentCallFailure = 'timeout' | 'disconnected' | 'remote';

/**
 * A failed call to an agent (task.run, message.deliver, route.decide). Local: it never crosses
 * the wire. Thrown by the connection's peer where the failure is seen; the pool and message
 * routing read `kind` and, for 'remote', the agent's error object.
 */
export class AgentCallError extends Error {
  constructor(
    readonly kind: AgentCallFailure,
    message: string,
    /** For 'remote': the agent's JSON-RPC error object (or the daemon's, when the request could not be written). */
    readonly remote?: ErrorObject,
  ) {
    super(message);
    this.name = 'AgentCallError';
  }
}
