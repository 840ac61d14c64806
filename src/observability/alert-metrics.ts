import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface AlertSources {
  alertSource: () => readonly string[];
  alertNames: readonly string[];
}

/** Coordination overhead and performance alerts. */
export function alertMetrics(registry: Registry, self: AlertSources) {
  return {
    coordinationSeconds: new Counter({
      name: 'coordd_coordination_seconds_total',
      help: "The daemon's own time handling coordination calls (waiting excluded)",
      registers: [registry],
    }),

    agentWorkSeconds: new Counter({
      name: 'coordd_agent_work_seconds_total',
      help: 'Time agents spent on work the daemon gave them (task attempts and delivered messages)',
      registers: [registry],
    }),

    alertSource: (() => []) as AlertSources['alertSource'],
    /** Every alert name, so inactive ones export 0 rather than disappearing. */
    alertNames: [] as AlertSources['alertNames'],

    alertsActive: new Gauge({
      name: 'coordd_alerts_active',
      help: 'Performance alerts currently raised (1) or not (0), by alert',
      labelNames: ['alert'] as const,
      registers: [registry],
      collect(this: Gauge<string>): void {
        const active = new Set(self.alertSource());
        for (const name of self.alertNames) this.labels(name).set(active.has(name) ? 1 : 0);
      },
    }),

    alertTransitions: new Counter({
      name: 'coordd_alert_transitions_total',
      help: 'Alerts raised or cleared, by alert and transition',
      labelNames: ['alert', 'to'] as const,
      registers: [registry],
    }),
  };
}

export type AlertMetrics = ReturnType<typeof alertMetrics>;
