import type { Clock } from '../time/clock.js';

export interface SlidingWindowOptions {
  /** How far back totals reach, in milliseconds. */
  windowMs: number;
  /** Time buckets the window is cut into; data leaves the window one bucket at a time. @defaultValue 30 */
  slots?: number;
  /** Numbers summed per entry (e.g. 2 for a sum and a count). @defaultValue 1 */
  width?: number;
}

/**
 * Sums of fixed-width vectors over the last `windowMs` on the injected clock. Memory is fixed:
 * `slots` buckets of `width` numbers, reused as time moves on, however many entries are added.
 * A bucket leaves as a whole, so totals cover between `windowMs - windowMs/slots` and `windowMs`.
 */
export class SlidingWindow {
  readonly width: number;
  private readonly slotMs: number;
  private readonly slots: number;
  private readonly data: Float64Array;
  /** The absolute bucket number each ring position holds (-1: never used). */
  private readonly stamps: Float64Array;

  constructor(
    private readonly deps: { clock: Clock },
    options: SlidingWindowOptions,
  ) {
    this.slots = Math.max(1, Math.floor(options.slots ?? 30));
    this.width = Math.max(1, Math.floor(options.width ?? 1));
    this.slotMs = Math.max(1, options.windowMs / this.slots);
    this.data = new Float64Array(this.slots * this.width);
    this.stamps = new Float64Array(this.slots).fill(-1);
  }

  /** Add `values` (at most `width` of them) to the bucket of the current time. */
  add(values: ArrayLike<number>): void {
    const bucket = this.bucketNow();
    const pos = bucket % this.slots;
    const base = pos * this.width;
    if (this.stamps[pos] !== bucket) {
      this.data.fill(0, base, base + this.width);
      this.stamps[pos] = bucket;
    }
    const n = Math.min(values.length, this.width);
    for (let i = 0; i < n; i++) this.data[base + i]! += values[i]!;
  }

  /** Sums over the buckets still inside the window. */
  totals(): number[] {
    const current = this.bucketNow();
    const out = new Array<number>(this.width).fill(0);
    for (let pos = 0; pos < this.slots; pos++) {
      const stamp = this.stamps[pos]!;
      // Outside the window; a stamp ahead of now only happens when the wall clock steps back.
      if (stamp < 0 || stamp <= current - this.slots || stamp > current) continue;
      const base = pos * this.width;
      for (let i = 0; i < this.width; i++) out[i]! += this.data[base + i]!;
    }
    return out;
  }

  private bucketNow(): number {
    return Math.floor(this.deps.clock.now() / this.slotMs);
  }
}
