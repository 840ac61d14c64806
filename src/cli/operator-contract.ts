import type { CoordClient } from '../client/client.js';
import type { TaskRecord } from '../client/method-types.js';

/**
 * The operator API methods of issue 13 §1 (agent.list, agent.get, task.retry, events.subscribe)
 * as the brief's contract fixes them. They are built on another branch; until their zod schemas
 * are in src/schemas, the CLI calls them through `requestUntyped` with these types. A daemon
 * without them answers -32601, which the CLI reports as "the daemon does not serve …".
 */
export interface AgentSummary {
  agentId: string;
  state: string;
  capabilities: string[];
  capacity: number;
  inFlight: number;
  heartbeatAgeMs: number;
  routingScore: number;
  contextWindowId: string;
  spawned: boolean;
  template?: string;
  tags: string[];
}

export interface AgentDetail extends AgentSummary {
  runningTasks: { taskId: string; type: string; epoch: number; startedAt: number }[];
  signals: { signalType: string; value: number; score: number; ageMs: number }[];
  overload: { willOverload: boolean; predictedLoad: number; confidence: number };
  breaker: { state: 'closed' | 'open' | 'half-open' };
  completed: number;
  failed: number;
  latencyMs: { mean?: number; p95?: number };
}

export interface AgentListParams {
  state?: string;
  capability?: string;
  template?: string;
  spawned?: boolean;
  q?: string;
  cursor?: string;
  limit?: number;
}

/** `events.event` notification params. */
export interface PoolEvent {
  subscriptionId: string;
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

interface ContractMethods {
  'agent.list': { params: AgentListParams; result: { agents: AgentSummary[]; nextCursor?: string } };
  'agent.get': { params: { agentId: string }; result: AgentDetail };
  'task.retry': { params: { taskId: string }; result: TaskRecord };
  'events.subscribe': {
    params: { types?: string[]; agentId?: string; taskType?: string };
    result: { subscriptionId: string; seq: number; snapshot: Record<string, unknown> };
  };
}

/** Call one of the contract's methods with its contract types. */
export function callContract<M extends keyof ContractMethods>(client: CoordClient, method: M, params: ContractMethods[M]['params']): Promise<ContractMethods[M]['result']> {
  return client.requestUntyped(method, params) as Promise<ContractMethods[M]['result']>;
}
