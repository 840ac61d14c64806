/** A bounded ring of the latest items: pushing beyond `capacity` overwrites the oldest. */
export class ScalingHistory<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Append an item, dropping the oldest when full. */
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Up to `limit` items, newest first. */
  latest(limit: number): T[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.items.length);
    const out: T[] = [];
    for (let i = 1; i <= n; i++) out.push(this.items[(this.next - i + this.items.length * 2) % this.items.length]!);
    return out;
  }

  /** Items held. */
  get size(): number {
    return this.items.length;
  }
}
