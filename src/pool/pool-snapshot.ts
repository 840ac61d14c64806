import type { TaskState } from '../schemas/task.js';
import type { AgentRegistry } from './agent-registry.js';

export interface PoolSnapshot {
  agents: { total: number; byState: Record<string, number> };
  capacity: { total: number; used: number };
  utilization: number;
  queue: { depth: number; byPriority: Record<string, number>; oldestWaitMs: number };
  tasks: { byState: Record<TaskState, number> };
  isolation: { ok: boolean };
  accepting: boolean;
  /** Where tasks are stored, and how many unfinished tasks of the last run still wait for their agent. */
  store?: { name: string; awaitingReattach: number };
}

export interface IsolationReport {
  ok: boolean;
  agents: { agentId: string; contextWindowId: string; pid?: number }[];
  sharedContextWindowIds: string[];
}

/** Agents by state, capacity and utilization, with the queue and task counts given. */
export function poolSnapshot(agents: AgentRegistry, queue: PoolSnapshot['queue'], tasksByState: Record<TaskState, number>, accepting: boolean): PoolSnapshot {
  const byState: Record<string, number> = { IDLE: 0, ANALYZING: 0, EXECUTING: 0, DEGRADED: 0, DRAINING: 0 };
  let total = 0;
  let used = 0;
  for (const a of agents.all()) {
    byState[a.lastState] = (byState[a.lastState] ?? 0) + 1;
    total += a.capacity;
    used += a.inFlight.size;
  }
  return {
    agents: { total: agents.size, byState },
    capacity: { total, used },
    utilization: total === 0 ? 0 : used / total,
    queue,
    tasks: { byState: tasksByState },
    isolation: { ok: agents.sharedContextWindows().length === 0 },
    accepting,
  };
}

/** Every live agent's context window (and pid when spawned), and any window held twice. */
export function isolationReport(agents: AgentRegistry): IsolationReport {
  const shared = agents.sharedContextWindows();
  const list = [...agents.all()].map((a) => ({ agentId: a.agentId, contextWindowId: a.contextWindowId, ...(a.pid !== undefined ? { pid: a.pid } : {}) }));
  return { ok: shared.length === 0, agents: list, sharedContextWindowIds: shared };
}
