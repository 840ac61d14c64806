/**
 * Recent proposed agent counts for scale-down stabilization, as a sliding-window maximum.
 *
 * Entries are kept in time order with strictly decreasing counts: a new count evicts every older
 * one that is not larger (it outlives them and is at least as high, so they can never be the
 * maximum again). The front is the window's maximum, and the size is bounded by the number of
 * distinct counts, not by how often the scaler is asked, so polling cannot grow it.
 */
export class DesiredWindow {
  private readonly entries: { at: number; desired: number }[] = [];

  /** Remember that `desired` agents were proposed at time `at` (ms, non-decreasing). */
  record(at: number, desired: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.desired <= desired) this.entries.pop();
    this.entries.push({ at, desired });
  }

  /**
   * Counts proposed in [now − windowMs, now] that can still be the maximum, highest first; older
   * entries are dropped for good (so lengthening the window later does not bring them back).
   */
  recent(now: number, windowMs: number): number[] {
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.at < now - windowMs) drop++;
    if (drop > 0) this.entries.splice(0, drop);
    return this.entries.map((e) => e.desired);
  }

  /** Entries held (for tests and introspection). */
  get size(): number {
    return this.entries.length;
  }
}
