/** The requests the daemon sends an agent for message routing. */
export type MessagingMethod = 'message.deliver' | 'route.decide';

/** One live agent as message routing sees it. */
export interface RoutableAgent {
  readonly agentId: string;
  readonly capabilities: ReadonlySet<string>;
  /** Tasks in flight on it (messages in flight are counted by the router itself). */
  readonly inFlight: number;
  readonly capacity: number;
  /**
   * Send a request; rejects with AgentCallError. `onWaited`, when the implementation can tell,
   * is told how long the call waited on the agent itself (socket to reply frame, see RpcPeer);
   * otherwise the caller counts the whole call as the agent's.
   */
  call(method: MessagingMethod, params: object, timeoutMs: number, onWaited?: (ms: number) => void): Promise<unknown>;
}

/**
 * Where router.route reports the time it waited for agents, and learns the daemon's own time on
 * the request once its reply is out (FrameTiming, at the transport).
 */
export interface RouteTimer {
  waited(ms: number): void;
  whenReplied(report: (ownMs: number) => void): void;
}

/** Where message routing finds agents: live ones only (not draining, not degraded). */
export interface AgentDirectory {
  routable(): readonly RoutableAgent[];
}
