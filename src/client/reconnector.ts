import { Backoff, backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { ClientState, CoordClientEvents } from './client-events.js';
import { ClientError, RpcError } from './errors.js';
import type { ClientLogger } from './logger.js';
import { sleep, type ClientTimers, type TimerHandle } from './timers.js';

/**
 * Close codes after which the next URL is tried at once, without backoff: 1012 (service restart: a
 * cluster's leader changed and the replica dropped the sessions it relayed) and 1013 (try again later).
 */
export const RECONNECT_AT_ONCE_CODES: readonly number[] = [1012, 1013];

/** What Reconnector needs from the client it connects. */
export interface ReconnectorDeps {
  timers: ClientTimers;
  log: ClientLogger;
  /** Uniform source in [0,1) for backoff jitter. */
  random: () => number;
  /** The client's state: the first connection goes on while it is `connecting`, reconnects while it is `reconnecting`. */
  state: () => ClientState;
  /** Open a connection and run its handshake; rejects when either fails. */
  establish: (reconnected: boolean) => Promise<void>;
  /** A reconnect is scheduled (the client's `reconnecting` event). */
  scheduled: (info: CoordClientEvents['reconnecting'][0]) => void;
  /** A reconnect was refused the token: the client is done for good. */
  refused: (error: ClientError) => void;
}

/**
 * Where and when the client connects: the URLs (a cluster's replicas) in turn, every reconnect to
 * the next one after a backoff delay that grows with consecutive failures (none after 1012/1013).
 */
export class Reconnector {
  /** Index in `urls` of the current (or next) connection. */
  private index = 0;
  private readonly backoff: Backoff | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: ReconnectorDeps,
    private readonly urls: readonly string[],
    reconnect: Partial<BackoffOptions> | false | undefined,
  ) {
    this.backoff = reconnect === false ? undefined : new Backoff({ ...DEFAULT_BACKOFF, ...reconnect }, deps.random);
  }

  /** The URL of the current connection (or of the next attempt); '' without URLs (a custom transport). */
  get url(): string {
    return this.urls[this.index] ?? '';
  }

  /** Whether a dropped connection is opened again (`reconnect: false` turns it off). */
  get enabled(): boolean {
    return this.backoff !== undefined;
  }

  /** Reconnect attempts since the last connection opened. */
  get attempts(): number {
    return this.backoff?.attempts ?? 0;
  }

  /** A connection opened: the next drop starts the backoff afresh. */
  opened(): void {
    this.backoff?.reset();
  }

  /**
   * The first connection: each URL in turn until one works (a refused token ends it at once). A
   * handshake refused with a retryable error (LEADER_UNAVAILABLE: the cluster is between leaders)
   * earns another round over the URLs after a backoff delay.
   */
  async connectFirst(): Promise<void> {
    let rounds = 0;
    const count = Math.max(1, this.urls.length);
    for (let tried = 1; ; tried++) {
      try {
        return await this.deps.establish(false);
      } catch (error) {
        const final = error instanceof ClientError && (error.code === 'AUTH_FAILED' || error.code === 'CLOSED');
        const retryable = error instanceof RpcError && error.retryable;
        const lastOfRound = tried % count === 0;
        if (final || this.deps.state() !== 'connecting' || (lastOfRound && (!retryable || ++rounds > 3))) throw error;
        this.deps.log.warn({ err: error, url: this.url }, 'connect failed; trying the next url');
        this.nextUrl();
        if (retryable) await sleep(this.deps.timers, error.retryAfterMs ?? backoffDelay(rounds, DEFAULT_BACKOFF, this.deps.random));
      }
    }
  }

  /** The open connection closed with `code`: reconnect, at once after close codes 1012 and 1013. */
  afterClose(code: number): void {
    this.schedule(undefined, RECONNECT_AT_ONCE_CODES.includes(code));
  }

  /** No more reconnects: the client is closing. */
  cancel(): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private nextUrl(): void {
    if (this.urls.length > 0) this.index = (this.index + 1) % this.urls.length;
  }

  /** Every reconnect goes to the next URL; `atOnce` skips the backoff delay. */
  private schedule(error?: Error, atOnce = false): void {
    if (this.deps.state() !== 'reconnecting' || !this.backoff) return;
    this.nextUrl();
    const backoffDelayMs = this.backoff.next();
    const delayMs = atOnce ? 0 : backoffDelayMs;
    this.deps.scheduled({ attempt: this.backoff.attempts, delayMs, url: this.url, ...(error ? { error } : {}) });
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.deps.establish(true).catch((failure: unknown) => this.failed(failure));
    }, delayMs);
  }

  private failed(failure: unknown): void {
    if (this.deps.state() !== 'reconnecting') return; // closed meanwhile
    const error = failure instanceof Error ? failure : new Error(String(failure));
    this.deps.log.warn({ err: error }, 'reconnect failed');
    if (error instanceof ClientError && error.code === 'AUTH_FAILED') {
      this.deps.refused(error);
      return;
    }
    this.schedule(error);
  }
}
