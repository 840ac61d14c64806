/** A JSON-RPC error object, as a reply carries it. */
export interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The timer half of a clock: the daemon's Clock and the client's ClientTimers both fit. */
export interface RequestTimers<H> {
  setTimeout(fn: () => void, ms: number): H;
  clearTimeout(handle: H): void;
}

/** The errors a table rejects with: each side of the wire speaks its own (AgentCallError, ClientError/RpcError). */
export interface PendingRequestErrors {
  /** No reply within `timeoutMs`. */
  timeout(method: string, timeoutMs: number): Error;
  /** The reply was an error object. */
  remote(error: ErrorObject, method: string): Error;
}

interface Entry<H> {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: H | undefined;
  readonly onSettled: (() => void) | undefined;
}

/**
 * The requests one connection has sent and not yet had answered: id → resolve, reject, timer.
 * One table serves every outbound call, in the daemon (RpcPeer) and in the client library alike.
 * A timeout is the table rejecting its entry, never a forged reply, so a peer cannot fake one;
 * closing the connection rejects every entry at once.
 */
export class PendingRequests<H> {
  private readonly entries = new Map<number, Entry<H>>();
  private nextId = 1;

  constructor(
    private readonly timers: RequestTimers<H>,
    private readonly errors: PendingRequestErrors,
  ) {}

  /**
   * Register a request before it is sent: its id, and the reply promise. `timeoutMs` of 0 (or not
   * finite) waits forever. `onSettled` runs once, however the request ends, before its promise settles.
   */
  add<T = unknown>(method: string, timeoutMs: number, onSettled?: () => void): { id: number; reply: Promise<T> } {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0 && Number.isFinite(timeoutMs)
          ? this.timers.setTimeout(() => this.reject(id, this.errors.timeout(method, timeoutMs)), timeoutMs)
          : undefined;
      this.entries.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer, onSettled });
    });
    return { id, reply };
  }

  /** Settle the request a response message answers; false when none waits for its id (unknown, or already timed out). */
  answer(message: { id?: unknown; result?: unknown; error?: unknown }): boolean {
    const entry = this.take(message.id);
    if (entry === undefined) return false;
    const error = message.error as ErrorObject | null | undefined;
    if (typeof error === 'object' && error !== null)
      entry.reject(this.errors.remote({ code: error.code, message: error.message, data: error.data }, entry.method));
    else entry.resolve(message.result);
    return true;
  }

  /** Fail one request (it could not be sent); false when it had already settled. */
  reject(id: number, err: Error): boolean {
    const entry = this.take(id);
    if (entry === undefined) return false;
    entry.reject(err);
    return true;
  }

  /** Fail every pending request (the connection closed), each with the error made for its method. */
  rejectAll(errorFor: (method: string) => Error): void {
    for (const id of [...this.entries.keys()]) {
      const entry = this.take(id)!;
      entry.reject(errorFor(entry.method));
    }
  }

  /** Requests awaiting a reply. */
  get size(): number {
    return this.entries.size;
  }

  private take(id: unknown): Entry<H> | undefined {
    if (typeof id !== 'number') return undefined;
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    entry.onSettled?.();
    return entry;
  }
}
