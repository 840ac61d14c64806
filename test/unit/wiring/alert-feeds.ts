import { AlertSubscribers } from '../../../src/wiring/alert-subscribers.js';
import type { ActiveAlert, AlertClearedNotification } from '../../../src/schemas/alerts.js';
import type { AlertInputs } from '../../../src/wiring/alerts.js';

/** AlertInputs that record every call, for checking what a wiring feeds the alerts. */
export function recordingAlertInputs(): AlertInputs & { calls: [keyof AlertInputs, number][] } {
  const calls: [keyof AlertInputs, number][] = [];
  return {
    calls,
    coordinationTime: (s) => calls.push(['coordinationTime', s]),
    agentWork: (s) => calls.push(['agentWork', s]),
    conflictResolved: (s) => calls.push(['conflictResolved', s]),
    conflictEscalated: (s) => calls.push(['conflictEscalated', s]),
  };
}

/** One sample's value from Prometheus text (0 when absent). */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Alert subscribers that remember the alerts raised and cleared instead of sending them. */
export class RecordingSubscribers extends AlertSubscribers {
  readonly seen: string[] = [];
  override raised(alert: ActiveAlert): void {
    this.seen.push(`raised:${alert.alert}`);
  }
  override cleared(alert: AlertClearedNotification): void {
    this.seen.push(`cleared:${alert.alert}`);
  }
}
