import type { EventEmitter } from 'node:events';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { ClientState, CoordClientEvents } from './client-events.js';
import { ClientError, RpcError } from './errors.js';
import { sleep, type ClientTimers, type TimerHandle } from './timers.js';

/** What IdempotentRetry needs from the client: its state, and its `open` and `end` events. */
export type RetryingClient = Pick<EventEmitter<CoordClientEvents>, 'once' | 'off'> & { readonly state: ClientState };

/** Settings of {@link IdempotentRetry}, the client's own. */
export interface IdempotentRetryOptions {
  timers: ClientTimers;
  /** Uniform source in [0,1) for backoff jitter. */
  random: () => number;
  /** Longest wait for the client to be open again before a retry. */
  requestTimeoutMs: number;
}

/**
 * Calls that are safe to repeat (a `pool.assign` with an `idempotencyKey`) made again after a
 * retryable error (LEADER_UNAVAILABLE: a cluster's leader changed) or a connection lost before the
 * reply, once the client is open again.
 */
export class IdempotentRetry {
  private openWaiter: Promise<void> | undefined;

  constructor(
    private readonly client: RetryingClient,
    private readonly options: IdempotentRetryOptions,
  ) {}

  /** Make `call`, and again up to `retries` times while it fails retryably; `onRetry` hears of each retry. */
  async run<T>(call: () => Promise<T>, retries: number, onRetry: (error: unknown, attempt: number) => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= retries || !retryableForIdempotentCall(error)) throw error;
        onRetry(error, attempt);
        await this.beforeRetry(error, attempt);
      }
    }
  }

  /** Wait what the error asks (data.retryAfterMs) or a backoff delay, then for an open connection. */
  private async beforeRetry(error: unknown, attempt: number): Promise<void> {
    const asked = error instanceof RpcError ? error.retryAfterMs : undefined;
    await sleep(this.options.timers, asked ?? backoffDelay(attempt, DEFAULT_BACKOFF, this.options.random));
    const { state } = this.client;
    if (state === 'open' || state === 'closed') return; // closed: the retry rejects with NOT_CONNECTED
    await this.untilOpen(this.options.requestTimeoutMs);
  }

  /** Resolves once the client is open again or done for good, or after `timeoutMs` (0: no limit). Shared by every waiter. */
  private untilOpen(timeoutMs: number): Promise<void> {
    if (!this.openWaiter) {
      this.openWaiter = new Promise<void>((resolve) => {
        const done = (): void => {
          this.client.off('open', done);
          this.client.off('end', done);
          this.openWaiter = undefined;
          resolve();
        };
        this.client.once('open', done);
        this.client.once('end', done);
      });
    }
    if (timeoutMs <= 0) return this.openWaiter;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => (timer = this.options.timers.setTimeout(resolve, timeoutMs)));
    return Promise.race([this.openWaiter, timeout]).finally(() => timer !== undefined && this.options.timers.clearTimeout(timer));
  }
}

/** Whether repeating the call can help and cannot harm, provided the call is idempotent. */
function retryableForIdempotentCall(error: unknown): boolean {
  if (error instanceof RpcError) return error.retryable;
  return error instanceof ClientError && (error.code === 'CONNECTION_LOST' || error.code === 'NOT_CONNECTED');
}
