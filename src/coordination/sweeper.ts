import type { SignalType } from '../schemas/common.js';
import type { AgentSignals } from './agent-signals.js';
import { SIGNAL_COUNT } from './signal-index.js';

/** What one sweep did. `removedSignals` counts latest signals that expired (a type going dark). */
export interface SweepResult {
  removedSignals: number;
  removedByType: Record<SignalType, number>;
  /** Expired history entries dropped (a signal is in its type's history too, so this overlaps). */
  removedHistory: number;
  forgottenAgents: number;
  durationMs: number;
}

/** Per-sweep tallies written by sweepAgents (typed arrays so the loop allocates nothing). */
export interface SweepTally {
  removedSignals: number;
  removedHistory: number;
  forgottenAgents: number;
  /** Latest signals removed, by type index; added to, not reset. */
  readonly removedByIndex: Float64Array;
}

/**
 * Drop expired latest signals and expired history entries, then forget agents left with no live
 * signal that are not connected. History is in arrival order, so it is popped from the front while
 * expired: amortised O(1) per signal. An entry with a long ttl can shield younger, shorter-lived
 * ones behind it until it expires; readers filter by expiresAt, so that costs only memory.
 */
export function sweepAgents(
  agents: Map<string, AgentSignals>,
  now: number,
  isConnected: (agentId: string) => boolean,
  tally: SweepTally,
): void {
  for (const [agentId, agent] of agents) {
    let live = 0;
    for (let i = 0; i < SIGNAL_COUNT; i++) {
      const latest = agent.latest[i];
      if (latest !== undefined) {
        if (now >= latest.expiresAt) {
          agent.clearLatest(i);
          tally.removedSignals++;
          tally.removedByIndex[i]!++;
        } else live++;
      }
      const h = agent.history[i];
      if (h !== undefined) {
        for (let front = h.peekFront(); front !== undefined && now >= front.expiresAt; front = h.peekFront()) {
          h.shift();
          tally.removedHistory++;
        }
      }
    }
    if (live === 0 && !isConnected(agentId)) {
      agents.delete(agentId);
      tally.forgottenAgents++;
    }
  }
}
