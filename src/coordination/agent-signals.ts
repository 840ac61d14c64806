import { AgentHistory } from './agent-history.js';
import { SIGNAL_COUNT } from './signal-index.js';
import type { StoredSignal } from './types.js';

/**
 * The object side of one agent's record: what state() and predictions read. The numbers routing
 * and the sweeper need on every call live in SignalStore's typed arrays, at `row`.
 */
export class AgentSignals {
  /**
   * Latest signal per type index. May still hold one that expired: liveness is always decided by
   * expiresAt (the sweeper clears only the store's numbers, to touch less memory).
   */
  readonly latest: (StoredSignal | undefined)[] = Array.from({ length: SIGNAL_COUNT }, () => undefined);
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
