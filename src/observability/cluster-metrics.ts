import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

/** How far the leader is behind in the calls stream, read at scrape time. */
export interface StreamLag {
  /** Entries not yet handled and acknowledged (delivered-but-pending plus never delivered). */
  entries: number;
  /** Milliseconds since the oldest entry still pending was appended (0 when none). */
  oldestPendingMs: number;
}

/**
 * The cluster-mode metrics (COORDD_STORE=redis://…), on the replica's registry. `leader` and `term`
 * are set by whoever follows leadership; the stream lag is read from `lagSource` at each scrape.
 */
export class ClusterMetrics {
  private lagSource: (() => Promise<StreamLag | undefined>) | undefined;

  readonly leader: Gauge;
  readonly term: Gauge;
  readonly forwardedCalls: Counter;
  readonly streamLag: Gauge<'unit'>;

  /** @param registry where they are exported (more can be added: `all()` lists them). */
  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.leader = new Gauge({ name: 'coordd_cluster_leader', help: 'Whether this replica is the cluster leader (1) or not (0)', registers });
    this.term = new Gauge({ name: 'coordd_cluster_term', help: 'The leadership term this replica last saw', registers });
    this.forwardedCalls = new Counter({
      name: 'coordd_cluster_forwarded_calls_total',
      help: 'Frames this replica relayed from its clients to the leader through the calls stream',
      registers,
    });
    this.streamLag = new Gauge({
      name: 'coordd_cluster_stream_lag',
      help: 'On the leader: how far it is behind in the calls stream, in entries (unit="entries") and in ms since the oldest pending entry (unit="ms")',
      labelNames: ['unit'] as const,
      registers,
      collect: async () => {
        const lag = await this.lagSource?.().catch(() => undefined);
        this.streamLag.reset();
        if (lag === undefined) return;
        this.streamLag.labels('entries').set(lag.entries);
        this.streamLag.labels('ms').set(lag.oldestPendingMs);
      },
    });
  }

  /** Each metric with its name, to register them on another registry too (the leader core's). */
  all(): { name: string; metric: Metric }[] {
    return [
      { name: 'coordd_cluster_leader', metric: this.leader },
      { name: 'coordd_cluster_term', metric: this.term },
      { name: 'coordd_cluster_forwarded_calls_total', metric: this.forwardedCalls },
      { name: 'coordd_cluster_stream_lag', metric: this.streamLag },
    ];
  }

  /** Read the stream lag from here (the leader's inbox); undefined stops reporting it. */
  measureLag(source: (() => Promise<StreamLag | undefined>) | undefined): void {
    this.lagSource = source;
  }
}
