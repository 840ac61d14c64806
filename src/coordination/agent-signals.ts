import { AgentHistory } from './agent-history.js';

/**
 * The object side of one agent's record: its history, for predictions. The latest signal of each
 * type and the numbers routing and the sweeper need on every call live in SignalStore's arrays,
 * at `row`.
 */
export class AgentSignals {
  /** Bounded history of every type, arrival order. */
  readonly history: AgentHistory;
  /** Timestamp of the newest signal recorded for the agent. */
  lastUpdated = 0;

  constructor(
    readonly agentId: string,
    readonly row: number,
    historySize: number,
  ) {
    this.history = new AgentHistory(historySize);
  }
}
