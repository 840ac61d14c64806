import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Counters, gauges and histograms registered on `registry`: one line per metric in the *-metrics.ts files. */
export function metricsOn(registry: Registry) {
  const registers = [registry];
  return {
    counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
      return new Counter({ name, help, labelNames, registers });
    },
    /** `collect` runs at scrape time, to set the gauge from the daemon's state. */
    gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => void): Gauge<L> {
      return new Gauge({ name, help, labelNames, registers, ...(collect && { collect }) });
    },
    histogram<L extends string = string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
      return new Histogram({ name, help, labelNames, buckets, registers });
    },
  };
}
