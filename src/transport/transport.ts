/**
 * One connection's message pipe. It carries text frames and knows nothing of JSON-RPC;
 * the WebSocket implementation and the in-memory linked pair both fit it.
 */
export interface Transport {
  readonly id: string;
  readonly remoteAddress: string | undefined;
  /** Why this side ended the connection, if it did (logged when it closes). */
  readonly closeReason?: string | undefined;
  send(text: string): void;
  close(code: number, reason: string): void;
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
}
