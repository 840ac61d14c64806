import type { MethodDefinition } from './method.js';
import { coordinationMetrics, coordinationPredictOverload, coordinationSignal, coordinationState } from './coordination.js';
import { routerSelect } from './router.js';
import { rpcDiscover } from './discover.js';

/** Every method the daemon serves, in documentation order. */
export const ALL_METHODS: readonly MethodDefinition[] = [
  rpcDiscover,
  coordinationSignal,
  coordinationState,
  coordinationMetrics,
  coordinationPredictOverload,
  routerSelect,
];
