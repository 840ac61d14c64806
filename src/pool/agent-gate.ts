/**
 * A say over which agents may get work, from outside the pool: the per-agent circuit breakers.
 * The pool asks `available` before choosing an agent, calls `attempt` when it dispatches, and
 * reports every attempt's outcome.
 */
export interface AgentGate {
  available(agentId: string): boolean;
  attempt(agentId: string): void;
  success(agentId: string): void;
  failure(agentId: string): void;
  /** The attempt ended without an outcome that says anything about the agent (cancelled). */
  abandon(agentId: string): void;
  /** The agent left the pool. */
  forget(agentId: string): void;
}

/** The gate that lets everyone through (no breakers). */
export const openGate: AgentGate = {
  available: () => true,
  attempt: () => undefined,
  success: () => undefined,
  failure: () => undefined,
  abandon: () => undefined,
  forget: () => undefined,
};
