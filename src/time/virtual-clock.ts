import type { Clock, TimerHandle } from './clock.js';

interface Timer {
  id: number;
  at: number;
  every: number | undefined;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Used by unit tests and the routing simulation:
 * `advance(ms)` fires every due timer in time order, with `now()` set to each timer's due time.
 * `elapsed()` moves with it, from 0 at construction.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly origin: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
    this.origin = start;
  }

  now(): number {
    return this.current;
  }

  elapsed(): number {
    return this.current - this.origin;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  /** Number of timers still scheduled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.current = next.at;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.at += next.every;
      next.fn();
    }
    this.current = target;
  }

  /** Jump to an absolute time (never backwards). */
  advanceTo(at: number): void {
    if (at > this.current) this.advance(at - this.current);
  }

  private add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.current + Math.max(0, ms), every, fn });
    return { id };
  }

  private nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    }
    return best;
  }
}
