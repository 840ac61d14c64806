import type { AgentState } from '../schemas/common.js';
import type { TaskState } from '../schemas/task.js';
import type { TaskRecord } from './task-store.js';

export type RequeueReason = 'retry' | 'timeout' | 'disconnect' | 'agent_removed' | 'takeover' | 'shutdown' | 'restart';

/** What the pool tells the outside (metrics, logs, notifications). Every hook is optional. */
export interface PoolObserver {
  /** A task entered `task.state` (previous undefined for a new task). */
  taskState?(task: TaskRecord, previous: TaskState | undefined): void;
  /** A task went back to the queue. */
  requeued?(task: TaskRecord, reason: RequeueReason): void;
  /** A result, error or progress report carried an epoch that is no longer current. */
  staleEpoch?(kind: 'result' | 'progress'): void;
  /** An agent's derived state changed. */
  agentState?(agentId: string, state: AgentState | 'REMOVED', previous: AgentState | undefined): void;
  /** An operator changed an agent (agent.update, agent.drain, agent.remove); logged by the pool. */
  agentAdmin?(agentId: string, action: 'update' | 'drain' | 'remove' | 'force_remove'): void;
  /** An operator ran a FAILED or CANCELLED task again (task.retry). */
  retried?(task: TaskRecord): void;
  /** Seconds a task waited in the queue before a dispatch. */
  queueWait?(seconds: number): void;
  /** Seconds one attempt ran, whatever its outcome. */
  attemptRan?(seconds: number): void;
}
