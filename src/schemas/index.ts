import type { MethodDefinition } from './method.js';
import { coordinationMetrics, coordinationPredictOverload, coordinationSignal, coordinationState } from './coordination.js';
import { routerSelect } from './router.js';
import { rpcDiscover } from './discover.js';
import { sessionInfo } from './session.js';
import { agentDrain, agentGet, agentHeartbeat, agentList, agentRegister, agentRemove, agentUpdate } from './agent.js';
import { eventsSubscribe, eventsUnsubscribe } from './events.js';
import { poolAssign, taskCancel, taskGet, taskList, taskProgress, taskReport, taskRetry, taskWait } from './task.js';
import { poolDespawn, poolIsolationReport, poolShutdown, poolSpawn, poolStatus } from './pool.js';
import { SCALING_METHODS } from './scaling.js';
import { conversationClose, conversationGet, conversationList, routerRoute } from './conversation.js';
import { coordinationAlerts } from './alerts.js';
import { RESOURCE_METHODS } from './resource.js';

/** Every method the daemon serves, in documentation order. */
export const ALL_METHODS: readonly MethodDefinition[] = [
  rpcDiscover,
  sessionInfo,
  coordinationSignal,
  coordinationState,
  coordinationMetrics,
  coordinationPredictOverload,
  coordinationAlerts,
  routerSelect,
  routerRoute,
  conversationGet,
  conversationList,
  conversationClose,
  agentRegister,
  agentHeartbeat,
  taskProgress,
  taskReport,
  agentList,
  agentGet,
  agentUpdate,
  agentDrain,
  agentRemove,
  poolAssign,
  taskGet,
  taskList,
  taskWait,
  taskCancel,
  taskRetry,
  eventsSubscribe,
  eventsUnsubscribe,
  poolStatus,
  poolIsolationReport,
  poolSpawn,
  poolDespawn,
  poolShutdown,
  ...SCALING_METHODS,
  ...RESOURCE_METHODS,
];
