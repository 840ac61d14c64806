/** `coordd/client`: connect to coordd as an operator (CoordClient) or serve tasks as an agent (AgentWorker). */
export { CoordClient } from './client.js';
export type { CoordClientOptions, RequestOptions, MethodHandler } from './client-options.js';
export type { CoordClientEvents, ClientState } from './client-events.js';
export { RECONNECT_AT_ONCE_CODES } from './reconnector.js';
export type { AssignParams, AssignResult, TaskRecord, TaskList, CancelResult, SignalParams, SignalResult, RouteParams, RouteResult } from './method-types.js';
export {
  AgentWorker,
  TASK_FAILED_CODE,
  type AgentWorkerOptions,
  type AgentWorkerEvents,
  type TaskContext,
  type TaskHandler,
  type TaskRunParams,
  type MessageHandler,
  type RouteDecisionHandler,
  type MessageDeliverParams,
  type RouteDecideParams,
  type RegisterParams,
  type Registration,
} from './agent-worker.js';
export { Backoff, backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { RpcError, ClientError, TaskFailure, CLIENT_ERROR_CODES, LEADER_UNAVAILABLE_CODE, RETRYABLE_CODES, type ClientErrorCode } from './errors.js';
export { fromEnv, type WorkerEnv } from './env.js';
export { hasParentPipe, watchParentPipe } from './parent-pipe.js';
export { HealthSampler, type Health } from './health.js';
export { silentLogger, type ClientLogger } from './logger.js';
export { systemTimers, type ClientTimers, type TimerHandle } from './timers.js';
export { webSocketTransport, type ClientTransport, type OpenTransport } from './client-transport.js';
