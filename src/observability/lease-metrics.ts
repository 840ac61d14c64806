import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface LeaseSources {
  leaseSource: () => { byMode: Record<string, number>; waiters: number };
}

/** Resource leases and conflicts. */
export function leaseMetrics(registry: Registry, self: LeaseSources) {
  return {
    leaseSource: (() => ({ byMode: {}, waiters: 0 })) as LeaseSources['leaseSource'],

    resourceLeases: new Gauge({
      name: 'coordd_resource_leases',
      help: 'Leases held, by mode (exclusive, shared)',
      labelNames: ['mode'] as const,
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.reset();
        for (const [mode, n] of Object.entries(self.leaseSource().byMode)) this.labels(mode).set(n);
      },
    }),

    resourceWaiters: new Gauge({
      name: 'coordd_resource_waiters',
      help: 'Acquire requests queued behind a holder',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.leaseSource().waiters);
      },
    }),

    resourceAcquires: new Counter({
      name: 'coordd_resource_acquires_total',
      help: 'resource.acquire outcomes (granted, granted_after_wait, timeout, rejected, cancelled)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),

    leaseEnds: new Counter({
      name: 'coordd_resource_lease_ends_total',
      help: 'Leases ended, by reason (released, expired, disconnected, removed)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),

    conflicts: new Counter({
      name: 'coordd_resource_conflicts_total',
      help: 'Contended acquires, counted when they end, by kind and resolution (resolved, escalated, abandoned)',
      labelNames: ['kind', 'resolution'] as const,
      registers: [registry],
    }),

    conflictWait: new Histogram({
      name: 'coordd_resource_wait_seconds',
      help: 'Time a contended acquire waited, by outcome (granted, timeout)',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

export type LeaseMetrics = ReturnType<typeof leaseMetrics>;
