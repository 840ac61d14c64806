import type { Logger } from 'pino';
import { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { AlertSubscribers } from './alert-subscribers.js';
import type { FileConfig } from '../config-file.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../time/clock.js';
import { alertMetrics } from './metrics-wiring.js';

/**
 * What other parts feed the performance alerts with. Each call also moves the Prometheus
 * counter the matching rule in deploy/prometheus-rules.yml reads (see metrics-wiring.ts), so
 * both see the same numbers.
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
  const { subscribers } = deps;
  const counted = alertMetrics(deps.metrics);
  const log = deps.logger.child({ component: 'alerts' });
  const evaluator = new AlertEvaluator(
    {
      clock: deps.clock,
      log,
      poolLoad: deps.poolLoad,
      observer: {
        raised: (a) => {
          counted.transition(a.alert, 'raised');
          log.warn({ alert: a.alert, value: a.value, threshold: a.threshold, detail: a.message }, 'alert raised');
          subscribers.raised(a);
        },
        cleared: (a) => {
          counted.transition(a.alert, 'cleared');
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
  const inputs: AlertInputs = {
    coordinationTime: (seconds) => {
      counted.coordinationTime(seconds);
      evaluator.coordinationTime(seconds);
    },
    agentWork: (seconds) => {
      counted.agentWork(seconds);
      evaluator.agentWork(seconds);
    },
    conflictResolved: (waitSeconds) => evaluator.conflictResolved(waitSeconds),
    conflictEscalated: (waitSeconds) => evaluator.conflictEscalated(waitSeconds),
  };
  return { evaluator, inputs };
}
