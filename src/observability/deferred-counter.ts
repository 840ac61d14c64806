import type { Counter } from 'prom-client';

/** One label set's count not yet added to its counter; inc() costs one addition. */
export class PendingCount {
  n = 0;

  constructor(readonly child: { inc(value: number): void }) {}

  /** Count `by` (default 1). */
  inc(by = 1): void {
    this.n += by;
  }
}

/**
 * A prom-client Counter fed from plain numbers, for hot paths. prom-client's inc() hashes the
 * label values into a fresh string and returns a fresh object on every call, even on a
 * labels() child (about 250 bytes of garbage per call): at tens of thousands of calls a second
 * that is young-generation GC work the daemon's tail latency pays for. Here a call adds 1 to a
 * number, and the sums reach the counter when it is read: the counter's `collect` hook, which
 * prom-client runs before every read (scrape, get()), adds them first, so readers see exact values.
 */
export class DeferredCounter<T extends string> {
  private readonly counts: PendingCount[] = [];

  constructor(private readonly counter: Counter<T>) {
    // `collect` is prom-client's documented per-read hook; it is set here rather than in the
    // counter's definition so the definition stays in one place. An earlier hook still runs.
    const metric = counter as unknown as { collect?: (this: unknown) => void | Promise<void> };
    const previous = metric.collect;
    metric.collect = function collect(this: unknown) {
      flush();
      return previous?.call(this);
    };
    const flush = (): void => this.flush();
  }

  /** The pending count of one label set (make it once, keep it: each call adds a child). */
  labels(...values: string[]): PendingCount {
    const count = new PendingCount(this.counter.labels(...(values as never[])));
    this.counts.push(count);
    return count;
  }

  /** Add every pending count to the counter now. */
  flush(): void {
    for (const c of this.counts) {
      if (c.n === 0) continue;
      const n = c.n;
      c.n = 0;
      c.child.inc(n);
    }
  }
}
