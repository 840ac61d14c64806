import { AppErrors } from '../errors.js';
import { StoreError } from '../stores/store-error.js';

/** Where one message goes (a connection's socket) and whether it answers a request. */
interface Outgoing {
  readonly sink: (text: string) => void;
  readonly text: string;
  /** A JSON-RPC response (or batch of them) to a client's request: on failure it becomes an error. */
  readonly reply: boolean;
}

export interface TurnOutboxDeps {
  /** Make the turn's writes durable; throws StoreError when it cannot. */
  commit: () => void;
  /** The store failed (first time only): log it, flip readiness. */
  failed: (error: StoreError) => void;
  /** Run `fn` once the current event-loop turn's callbacks are done. @defaultValue setImmediate */
  later?: (fn: () => void) => void;
}

/**
 * Commit before anyone is told: every message the daemon sends in one event-loop turn (replies,
 * task.run requests, notifications, on every connection) waits here until the turn ends; then the
 * turn's writes are committed once (group commit) and only then do the messages leave, in order.
 * So anything a client or agent was told is on disk, and a crash can lose only what nobody was told.
 *
 * When the commit (or a write during the turn) fails, the turn's replies become STORE_UNAVAILABLE
 * errors, its other messages are dropped, and the outbox stays failed: the daemon's memory may be
 * ahead of the file, so from then on every reply is STORE_UNAVAILABLE until a restart rebuilds
 * from the last commit.
 */
export class TurnOutbox {
  private queue: Outgoing[] = [];
  private scheduled = false;
  private failure: StoreError | undefined;
  private readonly later: (fn: () => void) => void;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly deps: TurnOutboxDeps) {
    this.later = deps.later ?? ((fn) => void setImmediate(fn));
  }

  /** Why the store failed, once it has. */
  get failed(): StoreError | undefined {
    return this.failure;
  }

  /** Queue `text` for `sink` until the turn's commit. */
  send(sink: (text: string) => void, text: string, reply: boolean): void {
    this.queue.push({ sink, text, reply });
    this.schedule();
  }

  /** Commit at the end of this turn even if nothing is sent (timer-driven writes). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.later(this.flushBound);
  }

  /** A write failed during the turn (the store rolled the turn back): the turn fails at flush. */
  writeFailed(error: StoreError): void {
    this.fail(error);
    this.schedule();
  }

  /** Commit, then send the turn's messages (or their failure). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!this.failure) {
      try {
        this.deps.commit();
      } catch (err) {
        this.fail(err instanceof StoreError ? err : new StoreError('UNKNOWN', String((err as Error)?.message ?? err), { cause: err }));
      }
    }
    const failure = this.failure;
    for (const m of batch) {
      if (!failure) m.sink(m.text);
      else if (m.reply) m.sink(failedReply(m.text, failure));
    }
  }

  private fail(error: StoreError): void {
    if (this.failure) return;
    this.failure = error;
    this.deps.failed(error);
  }
}

/** The same response(s) with every result replaced by STORE_UNAVAILABLE. */
export function failedReply(text: string, failure: StoreError): string {
  const { code, message } = AppErrors.STORE_UNAVAILABLE;
  const error = { code, message, data: { reason: failure.code } };
  const one = (r: { id?: unknown }): object => ({
    jsonrpc: '2.0',
    id: r?.id ?? null,
    ...('error' in (r ?? {}) && !('result' in r) ? { error: (r as { error: unknown }).error } : { error }),
  });
  try {
    const parsed = JSON.parse(text) as unknown;
    return JSON.stringify(Array.isArray(parsed) ? parsed.map(one) : one(parsed as { id?: unknown }));
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error });
  }
}
