import type { Logger } from 'pino';
import { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { AlertSubscribers } from './alert-subscribers.js';
import type { FileConfig } from '../config-file.js';
import type { Metrics } from '../observability/metrics.js';
import { ALERT_NAMES } from '../schemas/alerts.js';
import { TASK_STATES } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';

/**
 * What other parts feed the performance alerts with. Each call also moves the Prometheus
 * counter the matching rule in deploy/prometheus-rules.yml reads, so both see the same numbers.
 */
export interface AlertInputs {
  /** The daemon's own time on coordination outside the RPC observer (router.route's overhead). */
  coordinationTime(seconds: number): void;
  /** An agent's time on one piece of work: a task attempt or a message delivery attempt. */
  agentWork(seconds: number): void;
  /** A contended acquire was granted after waiting (the lease manager observes coordd_resource_wait_seconds itself). */
  conflictResolved(waitSeconds: number): void;
  /** A contended acquire timed out after waiting. */
  conflictEscalated(waitSeconds: number): void;
}

export interface AlertWiringDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  subscribers: Pick<AlertSubscribers, 'raised' | 'cleared'>;
  /** Slots and queue of the pool now (read at each evaluation). */
  poolLoad: () => { totalSlots: number; usedSlots: number; queued: number };
}

/** The performance alerts: evaluated on the clock, exported, logged and sent to subscribers; plus their feeds. */
export function createAlerts(deps: AlertWiringDeps, thresholds: FileConfig['alerts']): { evaluator: AlertEvaluator; inputs: AlertInputs } {
  const { metrics, subscribers } = deps;
  const log = deps.logger.child({ component: 'alerts' });
  const evaluator = new AlertEvaluator(
    {
      clock: deps.clock,
      log,
      poolLoad: deps.poolLoad,
      observer: {
        raised: (a) => {
          metrics.alertTransitions.labels(a.alert, 'raised').inc();
          log.warn({ alert: a.alert, value: a.value, threshold: a.threshold, detail: a.message }, 'alert raised');
          subscribers.raised(a);
        },
        cleared: (a) => {
          metrics.alertTransitions.labels(a.alert, 'cleared').inc();
          log.info(
            { alert: a.alert, value: a.value, threshold: a.threshold, reason: a.reason, activeMs: a.clearedAt - a.startedAt, detail: a.message },
            'alert cleared',
          );
          subscribers.cleared(a);
        },
      },
    },
    thresholds,
  );
  metrics.alertNames = ALERT_NAMES;
  // Every task state exported from the start: a series that appears mid-window loses its first
  // increase in PromQL, and the completion-rate rule reads FAILED and COMPLETED.
  for (const state of TASK_STATES) metrics.tasks.labels(state).inc(0);
  for (const name of ALERT_NAMES) for (const to of ['raised', 'cleared']) metrics.alertTransitions.labels(name, to).inc(0);
  const inputs: AlertInputs = {
    coordinationTime: (seconds) => {
      metrics.coordinationSeconds.inc(seconds);
      evaluator.coordinationTime(seconds);
    },
    agentWork: (seconds) => {
      metrics.agentWorkSeconds.inc(seconds);
      evaluator.agentWork(seconds);
    },
    conflictResolved: (waitSeconds) => evaluator.conflictResolved(waitSeconds),
    conflictEscalated: (waitSeconds) => evaluator.conflictEscalated(waitSeconds),
  };
  return { evaluator, inputs };
}
