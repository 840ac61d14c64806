import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface LeaseSources {
  leaseSource: () => { byMode: Record<string, number>; waiters: number };
}

/** Resource leases and conflicts. */
export function leaseMetrics(registry: Registry, self: LeaseSources) {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    leaseSource: (() => ({ byMode: {}, waiters: 0 })) as LeaseSources['leaseSource'],

    resourceLeases: gauge('coordd_resource_leases', 'Leases held, by mode (exclusive, shared)', ['mode'], function () {
      this.reset();
      for (const [mode, n] of Object.entries(self.leaseSource().byMode)) this.labels(mode).set(n);
    }),

    resourceWaiters: gauge('coordd_resource_waiters', 'Acquire requests queued behind a holder', [], function () {
      this.set(self.leaseSource().waiters);
    }),

    resourceAcquires: counter('coordd_resource_acquires_total', 'resource.acquire outcomes (granted, granted_after_wait, timeout, rejected, cancelled)', [
      'result',
    ]),

    leaseEnds: counter('coordd_resource_lease_ends_total', 'Leases ended, by reason (released, expired, disconnected, removed)', ['reason']),

    conflicts: counter(
      'coordd_resource_conflicts_total',
      'Contended acquires, counted when they end, by kind and resolution (resolved, escalated, abandoned)',
      ['kind', 'resolution'],
    ),

    conflictWait: histogram(
      'coordd_resource_wait_seconds',
      'Time a contended acquire waited, by outcome (granted, timeout)',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      ['outcome'],
    ),
  };
}

export type LeaseMetrics = ReturnType<typeof leaseMetrics>;
