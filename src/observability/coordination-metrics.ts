import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface CoordinationSources {
  agentsTrackedSource: () => number;
}

/** Sensitivity signals, the sweeper and router selections. */
export function coordinationMetrics(registry: Registry, self: CoordinationSources) {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    signals: counter('coordd_signals_total', 'Sensitivity signals received, by type and outcome (accepted or rejected)', ['type', 'outcome']),

    signalsExpired: counter('coordd_signals_expired_total', 'Signals removed by the sweeper after their TTL, by type', ['type']),

    /** Read at scrape time; the daemon points it at the coordination service. */
    agentsTrackedSource: (() => 0) as CoordinationSources['agentsTrackedSource'],

    agentsTracked: gauge('coordd_agents_tracked', 'Agents the coordination service holds signals for', [], function () {
      this.set(self.agentsTrackedSource());
    }),

    routerSelections: counter('coordd_router_selections_total', 'Router decisions, by the strategy that chose and whether it was a fallback', [
      'strategy',
      'fallback',
    ]),

    sweeperRuns: counter('coordd_sweeper_runs_total', 'Sweeps of expired signals'),

    sweepDuration: histogram('coordd_sweeper_duration_seconds', 'Time one sweep took', [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1]),
  };
}

export type CoordinationMetrics = ReturnType<typeof coordinationMetrics>;
