import type { Clock, TimerHandle } from '../../src/time/clock.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { MinHeap } from './min-heap.js';

interface Due {
  at: number;
  id: number;
}

/**
 * The real VirtualClock, plus the one thing a discrete-event driver needs that it does not expose:
 * when the next timer is due. Every timer (the pool's timeouts and retries, the agents' service
 * completions, arrivals, signal reports) goes through here, so one ordered timeline drives the
 * whole simulation, and the driver can step from one instant to the next and let promise
 * callbacks run between them, the way the event loop would.
 */
export class SimClock implements Clock {
  readonly virtual: VirtualClock;
  /** Due times by timer id (the current one, for intervals); absent once fired or cleared. */
  private readonly live = new Map<number, number>();
  private readonly heap = new MinHeap<Due>((a, b) => a.at < b.at || (a.at === b.at && a.id < b.id));

  constructor(start = 1_700_000_000_000) {
    this.virtual = new VirtualClock(start);
  }

  now(): number {
    return this.virtual.now();
  }

  elapsed(): number {
    return this.virtual.elapsed();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const at = this.now() + Math.max(0, ms);
    const handle = this.virtual.setTimeout(() => {
      this.live.delete(handle.id as number);
      fn();
    }, ms);
    this.track(handle.id as number, at);
    return handle;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    const at = this.now() + Math.max(0, ms);
    const handle = this.virtual.setInterval(() => {
      // VirtualClock has already moved this interval's due time on by `every`.
      this.track(handle.id as number, this.now() + every);
      fn();
    }, ms);
    this.track(handle.id as number, at);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle.id as number);
    this.virtual.clearTimeout(handle);
  }

  clearInterval(handle: TimerHandle): void {
    this.live.delete(handle.id as number);
    this.virtual.clearInterval(handle);
  }

  /** When the next timer is due; undefined when none is scheduled. */
  nextAt(): number | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return undefined;
      if (this.live.get(top.id) === top.at) return top.at;
      this.heap.pop(); // fired, cleared, or an interval's earlier due time
    }
  }

  /** Fire every timer due at the next instant (and those they schedule for that same instant). */
  step(): boolean {
    const at = this.nextAt();
    if (at === undefined) return false;
    this.virtual.advance(Math.max(0, at - this.now()));
    return true;
  }

  private track(id: number, at: number): void {
    this.live.set(id, at);
    this.heap.push({ at, id });
  }
}
