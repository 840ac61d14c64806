import { Registry, collectDefaultMetrics, type Histogram } from 'prom-client';
import { alertMetrics, type AlertMetrics } from './alert-metrics.js';
import { connectionMetrics, type ConnectionMetrics } from './connection-metrics.js';
import { coordinationMetrics, type CoordinationMetrics } from './coordination-metrics.js';
import { DeferredCounter, type PendingCount } from './deferred-counter.js';
import { histogramQuantile } from './histogram-quantile.js';
import { leaseMetrics, type LeaseMetrics } from './lease-metrics.js';
import { poolMetrics, type PoolMetrics } from './pool-metrics.js';
import { routingMetrics, type RoutingMetrics } from './routing-metrics.js';

// The metrics themselves, one file per area, become fields of Metrics (see the constructor).
export interface Metrics extends ConnectionMetrics, CoordinationMetrics, PoolMetrics, RoutingMetrics, LeaseMetrics, AlertMetrics {}

/**
 * Every Prometheus metric the daemon exports, on its own registry (so tests can run several
 * daemons in one process). Labels never carry ids: methods, types, strategies and outcomes only.
 */
export class Metrics {
  readonly registry = new Registry();

  /** coordd_rpc_requests_total counted in plain numbers, added to the counter when it is read. */
  private readonly calls: DeferredCounter<'method' | 'code'>;
  private readonly perMethod = new Map<string, { duration: { observe(v: number): void }; outcomes: Map<string, PendingCount> }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const { registry } = this;
    // Registration order is the order of the /metrics text.
    Object.assign(this, connectionMetrics(registry), coordinationMetrics(registry, this), poolMetrics(registry, this));
    Object.assign(this, routingMetrics(registry, this), leaseMetrics(registry, this), alertMetrics(registry, this));
    this.calls = new DeferredCounter(this.rpcRequests);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Count one RPC call. Labelled children are cached, and the request count is a plain number
   * until the counter is read (see DeferredCounter): prom-client's inc() costs ~250 bytes of
   * garbage per call, the duration histogram's observe() a third of that.
   */
  observeCall(method: string, outcome: string, seconds: number): void {
    let m = this.perMethod.get(method);
    if (m === undefined) {
      m = { duration: this.rpcDuration.labels(method), outcomes: new Map() };
      this.perMethod.set(method, m);
    }
    let count = m.outcomes.get(outcome);
    if (count === undefined) {
      count = this.calls.labels(method, outcome);
      m.outcomes.set(outcome, count);
    }
    count.n++;
    m.duration.observe(seconds);
  }

  /**
   * Estimated quantiles (seconds) of one method's handling time since start, interpolated within
   * the duration histogram's buckets exactly as PromQL's histogram_quantile does.
   */
  async callQuantiles(method: string, quantiles: readonly number[]): Promise<number[]> {
    return this.quantiles(this.rpcDuration, quantiles, (labels) => labels.method === method);
  }

  /** Quantiles (seconds) of an unlabelled histogram, interpolated within its buckets. */
  async histogramQuantiles(histogram: Histogram, quantiles: readonly number[]): Promise<number[]> {
    return this.quantiles(histogram, quantiles, () => true);
  }

  private async quantiles(histogram: Histogram<string>, quantiles: readonly number[], match: (labels: Record<string, unknown>) => boolean): Promise<number[]> {
    const { values } = await histogram.get();
    const buckets = values
      .filter((v) => v.metricName?.endsWith('_bucket') && match(v.labels))
      .map((v) => {
        const le = (v.labels as Record<string, string | number | undefined>).le;
        return { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: v.value };
      });
    return quantiles.map((q) => histogramQuantile(q, buckets));
  }
}
