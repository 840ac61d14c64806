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
  /**
   * Make the turn's writes durable; throws StoreError when it cannot. A Promise (Redis) makes the
   * turn's messages wait for it; such commits are chained, so turns still leave in order.
   */
  commit: () => void | Promise<void>;
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
  /** The last asynchronous turn's delivery (never rejects); later turns leave after it. */
  private chain: Promise<void> | undefined;
  /** committed() callers waiting for the next flush's commit. */
  private waiters: { resolve: () => void; reject: (err: StoreError) => void }[] = [];

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
    const waiters = this.waiters;
    this.waiters = [];
    let pending: Promise<void> | undefined;
    if (!this.failure) {
      try {
        const result = this.deps.commit();
        if (result !== undefined) pending = result;
      } catch (err) {
        this.fail(toStoreError(err));
      }
    }
    if (pending === undefined && this.chain === undefined) {
      this.deliver(batch, this.failure, waiters);
      return;
    }
    // An asynchronous commit: this turn leaves after the previous ones and after its own commit.
    const commit = pending ?? Promise.resolve();
    const previous = this.chain ?? Promise.resolve();
    const chain: Promise<void> = previous
      .then(() => commit)
      .then(
        () => this.deliver(batch, this.failure, waiters),
        (err: unknown) => {
          this.fail(toStoreError(err));
          this.deliver(batch, this.failure, waiters);
        },
      )
      .finally(() => {
        if (this.chain === chain) this.chain = undefined;
      });
    this.chain = chain;
  }

  /**
   * Resolves once everything handed to the outbox so far is committed (the cluster relay
   * acknowledges stream entries then); rejects with the failure when that commit failed.
   */
  committed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private deliver(batch: readonly Outgoing[], failure: StoreError | undefined, waiters: readonly TurnOutbox['waiters'][number][]): void {
    for (const m of batch) {
      if (!failure) m.sink(m.text);
      else if (m.reply) m.sink(failedReply(m.text, failure));
    }
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
  }

  private fail(error: StoreError): void {
    if (this.failure) return;
    this.failure = error;
    this.deps.failed(error);
  }
}

function toStoreError(err: unknown): StoreError {
  return err instanceof StoreError ? err : new StoreError('UNKNOWN', String((err as Error)?.message ?? err), { cause: err });
}

/** The error a failed commit turns replies into: the leader lost its term (cluster), or the store failed. */
function failureError(failure: StoreError): { code: number; message: string; data: Record<string, unknown> } {
  if (failure.code === 'FENCED') {
    const { code, message } = AppErrors.LEADER_UNAVAILABLE;
    return {
      code,
      message,
      data: { reason: 'the leader lost its term before this change was saved; retry (with an idempotencyKey for pool.assign)', retryAfterMs: 1000 },
    };
  }
  if (failure.code === 'STATE_LOST') {
    const { code, message } = AppErrors.CLUSTER_STATE_LOST;
    return { code, message, data: failure.details ?? {} };
  }
  const { code, message } = AppErrors.STORE_UNAVAILABLE;
  return { code, message, data: { reason: failure.code } };
}

/** The same response(s) with every result replaced by STORE_UNAVAILABLE (LEADER_UNAVAILABLE when a cluster leader lost its term). */
export function failedReply(text: string, failure: StoreError): string {
  const error = failureError(failure);
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
