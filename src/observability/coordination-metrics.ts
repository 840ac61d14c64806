import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface CoordinationSources {
  agentsTrackedSource: () => number;
}

/** Sensitivity signals, the sweeper and router selections. */
export function coordinationMetrics(registry: Registry, self: CoordinationSources) {
  return {
    signals: new Counter({
      name: 'coordd_signals_total',
      help: 'Sensitivity signals received, by type and outcome (accepted or rejected)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),

    signalsExpired: new Counter({
      name: 'coordd_signals_expired_total',
      help: 'Signals removed by the sweeper after their TTL, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),

    /** Read at scrape time; the daemon points it at the coordination service. */
    agentsTrackedSource: (() => 0) as CoordinationSources['agentsTrackedSource'],

    agentsTracked: new Gauge({
      name: 'coordd_agents_tracked',
      help: 'Agents the coordination service holds signals for',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.agentsTrackedSource());
      },
    }),

    routerSelections: new Counter({
      name: 'coordd_router_selections_total',
      help: 'Router decisions, by the strategy that chose and whether it was a fallback',
      labelNames: ['strategy', 'fallback'] as const,
      registers: [registry],
    }),

    sweeperRuns: new Counter({
      name: 'coordd_sweeper_runs_total',
      help: 'Sweeps of expired signals',
      registers: [registry],
    }),

    sweepDuration: new Histogram({
      name: 'coordd_sweeper_duration_seconds',
      help: 'Time one sweep took',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
      registers: [registry],
    }),
  };
}

export type CoordinationMetrics = ReturnType<typeof coordinationMetrics>;
