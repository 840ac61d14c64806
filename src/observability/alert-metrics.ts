import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface AlertSources {
  alertSource: () => readonly string[];
  alertNames: readonly string[];
}

/** Coordination overhead and performance alerts. */
export function alertMetrics(registry: Registry, self: AlertSources) {
  const { counter, gauge } = metricsOn(registry);
  return {
    coordinationSeconds: counter('coordd_coordination_seconds_total', "The daemon's own time handling coordination calls (waiting excluded)"),

    agentWorkSeconds: counter('coordd_agent_work_seconds_total', 'Time agents spent on work the daemon gave them (task attempts and delivered messages)'),

    alertSource: (() => []) as AlertSources['alertSource'],
    /** Every alert name, so inactive ones export 0 rather than disappearing. */
    alertNames: [] as AlertSources['alertNames'],

    alertsActive: gauge('coordd_alerts_active', 'Performance alerts currently raised (1) or not (0), by alert', ['alert'], function () {
      const active = new Set(self.alertSource());
      for (const name of self.alertNames) this.labels(name).set(active.has(name) ? 1 : 0);
    }),

    alertTransitions: counter('coordd_alert_transitions_total', 'Alerts raised or cleared, by alert and transition', ['alert', 'to']),
  };
}

export type AlertMetrics = ReturnType<typeof alertMetrics>;
