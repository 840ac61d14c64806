/**
 * The one catalogue of error codes that cross the wire. docs/errors.md mirrors it and
 * test/unit/errors.test.ts fails when the two drift apart.
 *
 * -32700..-32600 are JSON-RPC's own; -32000..-32099 are ours:
 *   -32000..-32009 general, -32010..-32019 coordination and routing,
 *   -32020..-32049 pool and tasks, -32050..-32099 reserved for later areas (-32050..-32059 leases).
 */
export const ProtocolErrors = {
  PARSE_ERROR: { code: -32700, message: 'Parse error' },
  INVALID_REQUEST: { code: -32600, message: 'Invalid Request' },
  METHOD_NOT_FOUND: { code: -32601, message: 'Method not found' },
  INVALID_PARAMS: { code: -32602, message: 'Invalid params' },
  INTERNAL_ERROR: { code: -32603, message: 'Internal error' },
} as const;

export const AppErrors = {
  FORBIDDEN: { code: -32001, message: 'Forbidden: not allowed for this connection' },
  SHUTTING_DOWN: { code: -32002, message: 'The daemon is shutting down' },
  TOO_MANY_PENDING: { code: -32003, message: 'Too many calls are pending on this connection' },
  ANSWER_TOO_LARGE: { code: -32004, message: "The agent's answer is nested too deep or too large" },
  REPLY_UNSENDABLE: { code: -32005, message: 'The reply could not be written as JSON' },
  STORE_UNAVAILABLE: { code: -32006, message: 'The state store could not save this change' },
  LEADER_UNAVAILABLE: { code: -32007, message: 'No cluster leader could take this call; retry' },
  CLUSTER_STATE_LOST: { code: -32008, message: 'The cluster store lost its data; this replica refuses to serve' },
  REQUEST_UNSENDABLE: { code: -32031, message: 'The request to the agent could not be written as JSON' },
  UNKNOWN_AGENT: { code: -32010, message: 'Unknown agent' },
  NO_CANDIDATES: { code: -32011, message: 'No candidate agents' },
  NOT_REGISTERED: { code: -32020, message: 'This connection has not registered as an agent' },
  CONTEXT_WINDOW_IN_USE: { code: -32021, message: 'Context window already held by a live agent' },
  ALREADY_REGISTERED: { code: -32022, message: 'This connection is already registered as another agent' },
  QUEUE_FULL: { code: -32023, message: 'The task queue is full' },
  TASK_NOT_FOUND: { code: -32024, message: 'Unknown task' },
  NOT_CANCELLABLE: { code: -32025, message: 'The task is already finished and cannot be cancelled' },
  WAIT_TIMEOUT: { code: -32026, message: 'The task did not finish within the wait timeout' },
  UNKNOWN_TEMPLATE: { code: -32027, message: 'Unknown agent template' },
  SPAWN_FAILED: { code: -32028, message: 'Spawned agent did not register' },
  TASK_TIMEOUT: { code: -32029, message: 'The attempt timed out' },
  AGENT_LOST: { code: -32030, message: 'The agent was lost while running the task' },
  NOT_RETRYABLE: { code: -32035, message: 'Only a FAILED or CANCELLED task can be retried' },
  SUBSCRIPTION_NOT_FOUND: { code: -32036, message: 'Unknown event subscription' },
  TOO_MANY_SUBSCRIPTIONS: { code: -32037, message: 'This connection has too many event subscriptions' },
  RESOURCE_BUSY: { code: -32050, message: 'The resource is held and the request did not wait' },
  LEASE_WAIT_TIMEOUT: { code: -32051, message: 'The lease was not granted within waitMs' },
  LEASE_QUEUE_FULL: { code: -32052, message: 'Too many requests are already waiting for the resource' },
  LEASE_LIMIT: { code: -32053, message: 'The agent holds or awaits too many leases' },
  LEASE_NOT_FOUND: { code: -32054, message: 'Unknown or expired lease' },
  LEASE_NOT_OWNED: { code: -32055, message: 'The lease is held by another agent' },
  LEASE_WAIT_CANCELLED: { code: -32056, message: 'The wait for a lease was cancelled' },
  ROUTE_FAILED: { code: -32060, message: 'No agent answered the message' },
  CONVERSATION_NOT_FOUND: { code: -32061, message: 'Unknown conversation' },
} as const;

export type ProtocolErrorName = keyof typeof ProtocolErrors;
export type AppErrorName = keyof typeof AppErrors;
export type ErrorName = ProtocolErrorName | AppErrorName;

/** Every catalogued error by name. */
export const ErrorCatalogue: Readonly<Record<ErrorName, { code: number; message: string }>> = {
  ...ProtocolErrors,
  ...AppErrors,
};

/**
 * An application error thrown by domain code. The RPC engine turns it into
 * `{code, message, data: {name, ...data}}`; the message on the wire is the catalogue's,
 * `detail` (safe, written for the client) travels in data.detail.
 */
export class AppError extends Error {
  readonly code: number;

  constructor(
    readonly errorName: AppErrorName,
    readonly detail?: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(detail ? `${AppErrors[errorName].message}: ${detail}` : AppErrors[errorName].message);
    this.name = 'AppError';
    this.code = AppErrors[errorName].code;
  }
}
