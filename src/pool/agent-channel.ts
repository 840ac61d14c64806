import type { TaskRunParams } from '../schemas/task.js';

/** The pool's narrow view of one agent's connection: every call to the agent goes through it. */
export interface AgentChannel {
  /** Send `task.run`; resolves with the agent's result, rejects with AgentCallError. */
  runTask(params: TaskRunParams, timeoutMs: number): Promise<unknown>;
  /**
   * Send another request (message routing: `message.deliver`, `route.decide`); rejects with
   * AgentCallError. `onWaited` is told how long it waited on the agent itself (see RpcPeer).
   */
  request(method: string, params: object, timeoutMs: number, onWaited?: (ms: number) => void): Promise<unknown>;
  /** Send a notification (`task.cancel`). */
  notify(method: string, params: object): void;
  /** Close the connection (takeover, removal, despawn). */
  close(reason: string): void;
}
