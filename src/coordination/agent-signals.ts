import { RingBuffer } from './ring-buffer.js';
import { freshness, NEUTRAL_SCORE } from './scoring.js';
import { SIGNAL_COUNT } from './signal-index.js';
import type { StoredSignal } from './types.js';

/** Slots per type in `packed`: contribution, timestamp, 1/ttl, expiresAt. */
const STRIDE = 4;

/**
 * Everything known about one agent: the latest signal per type, a bounded history per type, and
 * a packed copy of what routing needs so that `score()` reads one typed array and allocates nothing.
 */
export class AgentSignals {
  /** Latest signal per type index (possibly expired until the sweeper clears it). */
  readonly latest: (StoredSignal | undefined)[] = Array.from({ length: SIGNAL_COUNT }, () => undefined);
  /** History per type index, arrival order, created on first use. */
  readonly history: (RingBuffer<StoredSignal> | undefined)[] = Array.from({ length: SIGNAL_COUNT }, () => undefined);
  /** Timestamp of the newest signal ever recorded for the agent. */
  lastUpdated = 0;
  /**
   * Per type: weight·confidence·(s − 0.5), timestamp, 1/ttl, expiresAt. expiresAt 0 means "none",
   * which reads as expired, so missing types need no separate branch.
   */
  private readonly packed = new Float64Array(SIGNAL_COUNT * STRIDE);

  constructor(
    readonly agentId: string,
    private readonly historySize: number,
  ) {}

  /** Make `signal` the latest of its type and append it to that type's history. */
  set(index: number, signal: StoredSignal, goodness: number, weight: number): void {
    this.latest[index] = signal;
    const p = index * STRIDE;
    this.packed[p] = weight * signal.confidence * (goodness - NEUTRAL_SCORE);
    this.packed[p + 1] = signal.timestamp;
    this.packed[p + 2] = 1 / (signal.expiresAt - signal.timestamp);
    this.packed[p + 3] = signal.expiresAt;
    let h = this.history[index];
    if (h === undefined) h = this.history[index] = new RingBuffer<StoredSignal>(this.historySize);
    h.push(signal);
    if (signal.timestamp > this.lastUpdated) this.lastUpdated = signal.timestamp;
  }

  /** Forget the latest signal of a type (it expired). */
  clearLatest(index: number): void {
    this.latest[index] = undefined;
    this.packed[index * STRIDE + 3] = 0;
  }

  /**
   * Weighted routing score at `now`: 0.5 + Σ weight·confidence·freshness·(s − 0.5) over live
   * types, which equals Σ weight·score when the weights sum to 1. Clamped against rounding.
   */
  score(now: number): number {
    const p = this.packed;
    let total = NEUTRAL_SCORE;
    for (let i = 0; i < SIGNAL_COUNT * STRIDE; i += STRIDE) {
      if (now >= p[i + 3]!) continue;
      total += p[i]! * freshness((now - p[i + 1]!) * p[i + 2]!);
    }
    return total < 0 ? 0 : total > 1 ? 1 : total;
  }

  /** Whether any type's latest signal is still live at `now`. */
  hasLive(now: number): boolean {
    const p = this.packed;
    for (let i = 3; i < SIGNAL_COUNT * STRIDE; i += STRIDE) if (now < p[i]!) return true;
    return false;
  }
}
