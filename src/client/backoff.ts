/** Reconnect delays: exponential growth, capped, with proportional jitter. */
export interface BackoffOptions {
  /** Delay before the first retry. @defaultValue 250 */
  initialDelayMs: number;
  /** Largest delay. @defaultValue 30000 */
  maxDelayMs: number;
  /** Growth per failed attempt. @defaultValue 2 */
  factor: number;
  /** Spread in [0,1]: each delay is scaled by a uniform factor in [1 − jitter, 1 + jitter]. @defaultValue 0.2 */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialDelayMs: 250, maxDelayMs: 30_000, factor: 2, jitter: 0.2 };

/** The delay before retry number `attempt` (0-based); `random` returns a number in [0,1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** attempt);
  const jitter = Math.min(1, Math.max(0, options.jitter));
  const scaled = base * (1 - jitter + 2 * jitter * random());
  return Math.max(0, Math.round(Math.min(options.maxDelayMs, scaled)));
}

/** Counts consecutive failures and hands out the next delay; `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
