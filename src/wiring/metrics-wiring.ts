import type { Logger } from 'pino';
import type { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { ConversationStore } from '../conversations/conversation-store.js';
import type { CoordinationService } from '../coordination/coordination-service.js';
import type { SignalIntakeObserver } from '../coordination/signal-intake.js';
import type { SweepResult } from '../coordination/sweeper.js';
import { DeferredCounter } from '../observability/deferred-counter.js';
import type { Metrics } from '../observability/metrics.js';
import type { PoolObserver } from '../pool/pool-observer.js';
import type { PoolService } from '../pool/pool-service.js';
import type { LeaseManager } from '../resources/lease-manager.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import { SIGNAL_TYPES } from '../schemas/common.js';
import { VERSION } from '../version.js';
import type { Operator } from './operator.js';

/**
 * The observers that only move Prometheus metrics, and every gauge's source, in one place.
 * (Observers that also feed alerts or log live with their part: alerts.ts, leases.ts, messaging.ts.)
 */

/** Sweeps of expired signals: counted, timed, logged at debug. */
export const sweepMetrics =
  (metrics: Metrics, logger: Logger) =>
  (r: SweepResult): void => {
    metrics.sweeperRuns.inc();
    metrics.sweepDuration.observe(r.durationMs / 1000);
    for (const [type, n] of Object.entries(r.removedByType)) if (n > 0) metrics.signalsExpired.labels(type).inc(n);
    logger.debug({ ...r, component: 'sweeper' }, 'sweep');
  };

/**
 * coordd_signals_total. Accepted signals are counted in plain numbers and reach the counter when
 * it is read (one prom-client inc() per signal was ~250 bytes of garbage); rejections are rare
 * and go straight in.
 */
export function signalMetrics(metrics: Metrics): SignalIntakeObserver {
  const acceptedCounts = new DeferredCounter(metrics.signals);
  const accepted = SIGNAL_TYPES.map((t) => acceptedCounts.labels(t, 'accepted'));
  const rejected = Object.fromEntries([...SIGNAL_TYPES, 'unknown'].map((t) => [t, metrics.signals.labels(t, 'rejected')]));
  return {
    accepted: (typeIndex, n) => accepted[typeIndex]!.inc(n),
    rejected: (signalType) => rejected[signalType ?? 'unknown']!.inc(),
  };
}

/** The pool's events that only count. */
export function poolMetrics(
  metrics: Metrics,
): Required<Pick<PoolObserver, 'agentAdmin' | 'retried' | 'requeued' | 'staleEpoch' | 'queueWait' | 'holdStarted' | 'holdEnded'>> {
  return {
    agentAdmin: (_agentId, action) => metrics.agentAdmin.labels(action).inc(),
    retried: () => metrics.taskRetries.inc(),
    requeued: (_task, reason) => metrics.taskRequeues.labels(reason).inc(),
    staleEpoch: (kind) => metrics.staleEpochReports.labels(kind).inc(),
    queueWait: (seconds) => metrics.taskWait.observe(seconds),
    holdStarted: () => metrics.tasksHeld.inc(),
    holdEnded: (_taskId, seconds) => metrics.taskHold.observe(seconds),
  };
}

/** The HTTP server's refusals and cut-offs. */
export function httpMetrics(metrics: Metrics) {
  return {
    onAuthFailure: () => metrics.authFailures.inc(),
    onOriginRefused: () => metrics.originRefusals.inc(),
    onCutOff: (reason: string) => metrics.wsDisconnects.labels(reason).inc(),
  };
}

/** Every gauge read at scrape time, and the build info. */
export function wireMetricSources(
  metrics: Metrics,
  from: {
    coordination: CoordinationService;
    pool: PoolService;
    operator: Operator;
    conversations: ConversationStore;
    breakers: CircuitBreakers;
    leases: LeaseManager;
    alerts: AlertEvaluator;
  },
): void {
  const { coordination, pool, operator, conversations, breakers, leases, alerts } = from;
  metrics.buildInfo.labels(VERSION).set(1);
  metrics.agentsTrackedSource = () => coordination.stats().agentsTracked;
  metrics.poolSource = () => {
    const snap = pool.snapshot();
    return { queueDepth: snap.queue.depth, agentsByState: snap.agents.byState, utilization: snap.utilization };
  };
  metrics.eventSubscriptionsSource = () => operator.events.size;
  metrics.conversationsSource = () => conversations.size;
  // Agent ids in the pool, so agents that never failed count as closed breakers.
  metrics.breakerSource = () => breakers.byState([...pool.agents.all()].map((a) => a.agentId));
  metrics.leaseSource = () => leases.stats();
  metrics.alertSource = () => alerts.activeNames();
}
