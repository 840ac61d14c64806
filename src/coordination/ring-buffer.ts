/**
 * A bounded FIFO in arrival order: push at the back (dropping the oldest when full), shift from
 * the front. The backing array grows lazily up to `capacity`, so an agent that sends one signal of
 * a type pays for one slot, not for the whole history.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Number of items held. */
  get size(): number {
    return this.count;
  }

  /** Append an item; returns the oldest item when it had to be dropped to make room. */
  push(item: T): T | undefined {
    const len = this.items.length;
    if (this.count < len) {
      this.items[(this.head + this.count) % len] = item;
      this.count++;
      return undefined;
    }
    if (len < this.capacity) {
      if (this.head !== 0) this.linearise();
      this.items.push(item);
      this.count++;
      return undefined;
    }
    const dropped = this.items[this.head];
    this.items[this.head] = item;
    this.head = (this.head + 1) % len;
    return dropped;
  }

  /** The oldest item, if any. */
  peekFront(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Remove and return the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.count--;
    this.head = this.count === 0 ? 0 : (this.head + 1) % this.items.length;
    return item;
  }

  /** The i-th item in arrival order (0 = oldest). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head + i) % this.items.length];
  }

  /** Items oldest first, as a new array. */
  toArray(): T[] {
    const out: T[] = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) % this.items.length] as T;
    return out;
  }

  private linearise(): void {
    this.items = this.toArray();
    this.head = 0;
  }
}
