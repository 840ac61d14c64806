/** The requests the daemon sends an agent for message routing. */
export type MessagingMethod = 'message.deliver' | 'route.decide';

/** How a call to an agent failed, in the words of router.route's attempts. */
export type CallFailure = 'timeout' | 'error' | 'disconnected';

/** A failed call to an agent (the daemon maps transport errors to it). */
export class AgentCallFailed extends Error {
  constructor(
    readonly outcome: CallFailure,
    message: string,
    /** For 'error': the agent's JSON-RPC error. */
    readonly remote?: { code: number; message: string },
  ) {
    super(message);
    this.name = 'AgentCallFailed';
  }
}

/** One live agent as message routing sees it. */
export interface RoutableAgent {
  readonly agentId: string;
  readonly capabilities: ReadonlySet<string>;
  /** Tasks in flight on it (messages in flight are counted by the router itself). */
  readonly inFlight: number;
  readonly capacity: number;
  /** Send a request; rejects with AgentCallFailed. */
  call(method: MessagingMethod, params: object, timeoutMs: number): Promise<unknown>;
}

/** Where message routing finds agents: live ones only (not draining, not degraded). */
export interface AgentDirectory {
  routable(): readonly RoutableAgent[];
}
