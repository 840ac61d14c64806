import type { MethodDefinition } from './method.js';
import { coordinationMetrics, coordinationPredictOverload, coordinationSignal, coordinationState } from './coordination.js';
import { routerSelect } from './router.js';
import { rpcDiscover } from './discover.js';
import { sessionInfo } from './session.js';
import { agentDrain, agentGet, agentHeartbeat, agentList, agentRegister, agentRemove, agentUpdate } from './agent.js';
import { eventsSubscribe, eventsUnsubscribe } from './events.js';
import { poolAssign, taskCancel, taskGet, taskList, taskProgress, taskReport, taskRetry, taskWait } from './task.js';
import { poolDespawn, poolIsolationReport, poolShutdown, poolSpawn, poolStatus, poolTemplates } from './pool.js';
import { SCALING_METHODS } from './scaling.js';
import { conversationClose, conversationGet, conversationList, routerRoute } from './conversation.js';
import { coordinationAlerts } from './alerts.js';
import { RESOURCE_METHODS } from './resource.js';
import { clusterStatus } from './cluster.js';

/** Every method the daemon serves, in documentation order (a tuple: each name keeps its literal type). */
const METHODS = [
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
  poolTemplates,
  poolSpawn,
  poolDespawn,
  poolShutdown,
  ...SCALING_METHODS,
  ...RESOURCE_METHODS,
  clusterStatus,
] as const satisfies readonly MethodDefinition[];

/** Every method the daemon serves, in documentation order. */
export const ALL_METHODS: readonly MethodDefinition[] = METHODS;

/** Any method's definition, its name as a literal type. */
export type AnyMethod = (typeof METHODS)[number];
/** The name of a method the daemon serves. */
export type MethodName = AnyMethod['name'];
/** The definition of the method called `N`. */
export type MethodNamed<N extends MethodName> = Extract<AnyMethod, { name: N }>;
