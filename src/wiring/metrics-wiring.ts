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
import type { CircuitBreakers, BreakerTransition } from '../routing/circuit-breaker.js';
import type { LeaseObserver } from '../resources/types.js';
import type { MessageRoutingObserver } from '../messaging/message-routing-service.js';
import { ALERT_NAMES } from '../schemas/alerts.js';
import { TASK_STATES } from '../schemas/task.js';
import { SIGNAL_TYPES } from '../schemas/common.js';
import { VERSION } from '../version.js';
import type { Operator } from './operator.js';

/**
 * Every observer -> Prometheus mapping, and every gauge's source, in one place. Where an event
 * also feeds an alert or a log line, the part's wiring file (alerts.ts, leases.ts, messaging.ts)
 * calls the mapping from here and does the rest itself.
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

/** The pool's events, counted (taskState, agentState and attemptRan also feed alerts and the event stream: daemon-graph.ts). */
export function poolMetrics(
  metrics: Metrics,
): Required<
  Pick<
    PoolObserver,
    'agentAdmin' | 'retried' | 'requeued' | 'staleEpoch' | 'queueWait' | 'holdStarted' | 'holdEnded' | 'taskState' | 'agentState' | 'attemptRan'
  >
> {
  return {
    taskState: (task) => metrics.tasks.labels(task.state).inc(),
    agentState: (_agentId, state) => metrics.agentStateChanges.labels(state).inc(),
    attemptRan: (seconds) => metrics.taskRun.observe(seconds),
    agentAdmin: (_agentId, action) => metrics.agentAdmin.labels(action).inc(),
    retried: () => metrics.taskRetries.inc(),
    requeued: (_task, reason) => metrics.taskRequeues.labels(reason).inc(),
    staleEpoch: (kind) => metrics.staleEpochReports.labels(kind).inc(),
    queueWait: (seconds) => metrics.taskWait.observe(seconds),
    holdStarted: () => metrics.tasksHeld.inc(),
    holdEnded: (_taskId, seconds) => metrics.taskHold.observe(seconds),
  };
}

/** The router's selections, by strategy and whether it fell back. */
export const routerMetrics =
  (metrics: Metrics) =>
  (e: { strategy: string; fallback: boolean }): void =>
    metrics.routerSelections.labels(e.strategy, String(e.fallback)).inc();

/** The HTTP server's refusals and cut-offs. */
export function httpMetrics(metrics: Metrics) {
  return {
    onAuthFailure: () => metrics.authFailures.inc(),
    onOriginRefused: () => metrics.originRefusals.inc(),
    onCutOff: (reason: string) => metrics.wsDisconnects.labels(reason).inc(),
  };
}

/** Alerts raised and cleared, and the two time counters the overhead alert reads. */
export function alertMetrics(metrics: Metrics) {
  metrics.alertNames = ALERT_NAMES;
  // Every task state exported from the start: a series that appears mid-window loses its first
  // increase in PromQL, and the completion-rate rule reads FAILED and COMPLETED.
  for (const state of TASK_STATES) metrics.tasks.labels(state).inc(0);
  for (const name of ALERT_NAMES) for (const to of ['raised', 'cleared']) metrics.alertTransitions.labels(name, to).inc(0);
  return {
    transition: (alert: string, to: 'raised' | 'cleared') => metrics.alertTransitions.labels(alert, to).inc(),
    coordinationTime: (seconds: number) => metrics.coordinationSeconds.inc(seconds),
    agentWork: (seconds: number) => metrics.agentWorkSeconds.inc(seconds),
  };
}

/** Acquires, lease ends, conflicts, and the waits of contended acquires (`granted` or `timeout`). */
export function leaseMetrics(
  metrics: Metrics,
): Required<Pick<LeaseObserver, 'acquired' | 'leaseEnded' | 'conflictEnded'>> & { conflictWaited(outcome: 'granted' | 'timeout', seconds: number): void } {
  return {
    acquired: (result) => metrics.resourceAcquires.labels(result).inc(),
    leaseEnded: (reason) => metrics.leaseEnds.labels(reason).inc(),
    conflictEnded: (e) => metrics.conflicts.labels(e.kind, e.resolution).inc(),
    conflictWaited: (outcome, seconds) => metrics.conflictWait.labels(outcome).observe(seconds),
  };
}

/** router.route's decisions, attempts, messages and overhead. */
export function routeMetrics(metrics: Metrics): Required<MessageRoutingObserver> {
  return {
    decided: (by) => metrics.routeDecisions.labels(by).inc(),
    supervisorFallback: (reason) => metrics.supervisorFallbacks.labels(reason).inc(),
    attempt: (outcome) => metrics.routeAttempts.labels(outcome).inc(),
    routed: (outcome, overheadSeconds) => {
      metrics.routeMessages.labels(outcome).inc();
      metrics.routeOverhead.observe(overheadSeconds);
    },
  };
}

/** Circuit breaker transitions, by the state entered. */
export const breakerMetrics =
  (metrics: Metrics) =>
  (t: BreakerTransition): void =>
    metrics.breakerTransitions.labels(t.to).inc();

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
