import type { AgentState } from '../schemas/common.js';
import type { AgentChannel } from './agent-channel.js';
import type { AgentWork } from './agent-work.js';

export type ReportedState = 'IDLE' | 'ANALYZING' | 'EXECUTING';

export interface Health {
  memoryMb?: number;
  cpuPercent?: number;
  contextSwitches?: number;
}

/** One registered agent as the pool sees it. */
export interface AgentRecord {
  readonly agentId: string;
  name: string | undefined;
  type: string | undefined;
  capabilities: ReadonlySet<string>;
  capacity: number;
  contextWindowId: string;
  channel: AgentChannel;
  /** The connection it registered on (a takeover changes it). */
  sessionId: string;
  pid: number | undefined;
  registeredAt: number;
  lastHeartbeat: number;
  reported: ReportedState | undefined;
  health: Health | undefined;
  degraded: boolean;
  draining: boolean;
  /** Free-form labels an operator set with agent.update (kept across a takeover). */
  tags: readonly string[];
  /** Its finished attempts: counts and recent latency (kept across a takeover). */
  readonly work: AgentWork;
  /** Task ids dispatched to it and not yet finished. */
  readonly inFlight: Set<string>;
  /** The last state logged, to log and count changes only. */
  lastState: AgentState;
}

/** The state the daemon reports: draining and degraded first, then what the agent says or its work implies. */
export function deriveState(a: AgentRecord): AgentState {
  if (a.draining) return 'DRAINING';
  if (a.degraded) return 'DEGRADED';
  if (a.reported === 'ANALYZING') return 'ANALYZING';
  if (a.inFlight.size > 0 || a.reported === 'EXECUTING') return 'EXECUTING';
  return 'IDLE';
}

/** Whether the agent may take one more task needing `required`. */
export function canTake(a: AgentRecord, required: readonly string[]): boolean {
  if (a.draining || a.degraded || a.inFlight.size >= a.capacity) return false;
  for (const c of required) if (!a.capabilities.has(c)) return false;
  return true;
}
