/**
 * A say over which agents may get work, from outside the pool: the per-agent circuit breakers.
 * The pool asks `available` before choosing an agent and takes a ticket with `attempt` when it
 * dispatches (undefined: the gate does not let this one through after all); the attempt's outcome
 * is reported with that ticket.
 */
export interface AgentGate {
  available(agentId: string): boolean;
  attempt(agentId: string): number | undefined;
  success(agentId: string, ticket: number): void;
  failure(agentId: string, ticket: number): void;
  /** The attempt ended without an outcome that says anything about the agent (cancelled). */
  abandon(agentId: string, ticket: number): void;
  /** The agent left the pool. */
  forget(agentId: string): void;
  /** Call `listener` whenever an agent the gate kept out may get work again (the pool then tries to dispatch). */
  onReopen?(listener: () => void): void;
}

/** The gate that lets everyone through (no breakers). */
export const openGate: AgentGate = {
  available: () => true,
  attempt: () => 0,
  success: () => undefined,
  failure: () => undefined,
  abandon: () => undefined,
  forget: () => undefined,
};
