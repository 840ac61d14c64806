import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DeferredCounter, type PendingCount } from './deferred-counter.js';
import { histogramQuantile } from './histogram-quantile.js';

/**
 * Every Prometheus metric the daemon exports, on its own registry (so tests can run several
 * daemons in one process). Labels never carry ids: methods, types, strategies and outcomes only.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly rpcRequests = new Counter({
    name: 'coordd_rpc_requests_total',
    help: 'JSON-RPC calls handled, by method and outcome code ("ok" or the JSON-RPC error code)',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly rpcDuration = new Histogram({
    name: 'coordd_rpc_request_duration_seconds',
    help: 'Time to handle one JSON-RPC call, by method',
    labelNames: ['method'] as const,
    buckets: [
      0.00001, 0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
      30,
    ],
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: 'coordd_ws_connections',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });

  readonly wsDisconnects = new Counter({
    name: 'coordd_ws_disconnects_total',
    help: 'WebSocket connections closed by the daemon, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'coordd_auth_failures_total',
    help: 'WebSocket upgrades refused for a missing or unknown token',
    registers: [this.registry],
  });

  readonly originRefusals = new Counter({
    name: 'coordd_origin_refusals_total',
    help: "WebSocket upgrades refused because their Origin is neither the daemon's own nor in COORDD_ALLOWED_ORIGINS",
    registers: [this.registry],
  });

  readonly signals = new Counter({
    name: 'coordd_signals_total',
    help: 'Sensitivity signals received, by type and outcome (accepted or rejected)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signalsExpired = new Counter({
    name: 'coordd_signals_expired_total',
    help: 'Signals removed by the sweeper after their TTL, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time; the daemon points it at the coordination service. */
  agentsTrackedSource: () => number = () => 0;

  readonly agentsTracked = new Gauge({
    name: 'coordd_agents_tracked',
    help: 'Agents the coordination service holds signals for',
    registers: [this.registry],
    collect: (): void => {
      this.agentsTracked.set(this.agentsTrackedSource());
    },
  });

  readonly routerSelections = new Counter({
    name: 'coordd_router_selections_total',
    help: 'Router decisions, by the strategy that chose and whether it was a fallback',
    labelNames: ['strategy', 'fallback'] as const,
    registers: [this.registry],
  });

  readonly sweeperRuns = new Counter({
    name: 'coordd_sweeper_runs_total',
    help: 'Sweeps of expired signals',
    registers: [this.registry],
  });

  readonly sweepDuration = new Histogram({
    name: 'coordd_sweeper_duration_seconds',
    help: 'Time one sweep took',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
    registers: [this.registry],
  });

  readonly tasks = new Counter({
    name: 'coordd_tasks_total',
    help: 'Task state entries (a task counts once per state it enters)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time; the daemon points it at the pool. */
  poolSource: () => { queueDepth: number; agentsByState: Record<string, number>; utilization: number } = () => ({
    queueDepth: 0,
    agentsByState: {},
    utilization: 0,
  });

  readonly taskQueueDepth = new Gauge({
    name: 'coordd_task_queue_depth',
    help: 'Tasks waiting in the queue',
    registers: [this.registry],
    collect: (): void => {
      this.taskQueueDepth.set(this.poolSource().queueDepth);
    },
  });

  readonly taskWait = new Histogram({
    name: 'coordd_task_wait_seconds',
    help: 'Time from submission (or requeue) to dispatch',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly tasksHeld = new Counter({
    name: 'coordd_tasks_held_total',
    help: 'Tasks RIPPLE_COORDINATION held back for a busy agent expected to finish them sooner than any free one',
    registers: [this.registry],
  });

  readonly taskHold = new Histogram({
    name: 'coordd_task_hold_seconds',
    help: 'How long a task was held back for a better (busy) agent, observed when the hold ends',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly taskRun = new Histogram({
    name: 'coordd_task_run_seconds',
    help: 'Time one attempt ran on an agent, whatever its outcome',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });

  readonly poolAgents = new Gauge({
    name: 'coordd_pool_agents',
    help: 'Registered agents by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: (): void => {
      this.poolAgents.reset();
      for (const [state, n] of Object.entries(this.poolSource().agentsByState)) this.poolAgents.labels(state).set(n);
    },
  });

  readonly poolUtilizationRatio = new Gauge({
    name: 'coordd_pool_utilization_ratio',
    help: 'Used task slots / total task slots of registered agents (0-1)',
    registers: [this.registry],
    collect: (): void => {
      this.poolUtilizationRatio.set(this.poolSource().utilization);
    },
  });

  /** @deprecated Same value as coordd_pool_utilization_ratio; removed in the release after next. */
  readonly poolUtilization = new Gauge({
    name: 'coordd_pool_utilization',
    help: 'DEPRECATED: use coordd_pool_utilization_ratio (same value; this name goes in the next release)',
    registers: [this.registry],
    collect: (): void => {
      this.poolUtilization.set(this.poolSource().utilization);
    },
  });

  readonly buildInfo = new Gauge({
    name: 'coordd_build_info',
    help: 'Always 1; the version label says which coordd is running',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });

  readonly agentAdmin = new Counter({
    name: 'coordd_agent_admin_actions_total',
    help: 'Operator changes to agents (agent.update, agent.drain, agent.remove), by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly taskRetries = new Counter({
    name: 'coordd_task_retries_total',
    help: 'FAILED or CANCELLED tasks run again by task.retry',
    registers: [this.registry],
  });

  /** Read at scrape time; the daemon points it at the event stream. */
  eventSubscriptionsSource: () => number = () => 0;

  readonly eventSubscriptions = new Gauge({
    name: 'coordd_event_subscriptions',
    help: 'Open events.subscribe subscriptions',
    registers: [this.registry],
    collect: (): void => {
      this.eventSubscriptions.set(this.eventSubscriptionsSource());
    },
  });

  readonly taskRequeues = new Counter({
    name: 'coordd_task_requeues_total',
    help: 'Tasks put back in the queue, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly staleEpochReports = new Counter({
    name: 'coordd_stale_epoch_reports_total',
    help: 'Results, errors or progress reports ignored because their epoch was no longer current',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly agentStateChanges = new Counter({
    name: 'coordd_agent_state_changes_total',
    help: 'Agent state changes, by the state entered',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  // --- Message routing, conversations, circuit breakers (router.route) ---

  readonly routeMessages = new Counter({
    name: 'coordd_route_messages_total',
    help: 'Messages handled by router.route, by outcome (delivered or failed after every attempt)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly routeAttempts = new Counter({
    name: 'coordd_route_attempts_total',
    help: 'message.deliver attempts, by outcome (ok, timeout, error, disconnected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly routeDecisions = new Counter({
    name: 'coordd_route_decisions_total',
    help: 'How the first agent for a message was chosen (supervisor, intent_rule, strategy)',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });

  readonly supervisorFallbacks = new Counter({
    name: 'coordd_route_supervisor_fallbacks_total',
    help: 'Supervisor decisions not used, by reason (timeout, error, invalid, unavailable)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly routeOverhead = new Histogram({
    name: 'coordd_route_overhead_seconds',
    help: "The daemon's own time routing one message, excluding the agents' time",
    buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  conversationsSource: () => number = () => 0;

  readonly conversations = new Gauge({
    name: 'coordd_conversations',
    help: 'Conversations held in memory',
    registers: [this.registry],
    collect: (): void => {
      this.conversations.set(this.conversationsSource());
    },
  });

  breakerSource: () => Record<string, number> = () => ({});

  readonly circuitBreakers = new Gauge({
    name: 'coordd_circuit_breakers',
    help: 'Per-agent circuit breakers by state (closed, open, half_open)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: (): void => {
      this.circuitBreakers.reset();
      for (const [state, n] of Object.entries(this.breakerSource())) this.circuitBreakers.labels(state).set(n);
    },
  });

  readonly breakerTransitions = new Counter({
    name: 'coordd_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by the state entered',
    labelNames: ['to'] as const,
    registers: [this.registry],
  });

  // --- Resource leases and conflicts ---

  leaseSource: () => { byMode: Record<string, number>; waiters: number } = () => ({ byMode: {}, waiters: 0 });

  readonly resourceLeases = new Gauge({
    name: 'coordd_resource_leases',
    help: 'Leases held, by mode (exclusive, shared)',
    labelNames: ['mode'] as const,
    registers: [this.registry],
    collect: (): void => {
      this.resourceLeases.reset();
      for (const [mode, n] of Object.entries(this.leaseSource().byMode)) this.resourceLeases.labels(mode).set(n);
    },
  });

  readonly resourceWaiters = new Gauge({
    name: 'coordd_resource_waiters',
    help: 'Acquire requests queued behind a holder',
    registers: [this.registry],
    collect: (): void => {
      this.resourceWaiters.set(this.leaseSource().waiters);
    },
  });

  readonly resourceAcquires = new Counter({
    name: 'coordd_resource_acquires_total',
    help: 'resource.acquire outcomes (granted, granted_after_wait, timeout, rejected, cancelled)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly leaseEnds = new Counter({
    name: 'coordd_resource_lease_ends_total',
    help: 'Leases ended, by reason (released, expired, disconnected, removed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly conflicts = new Counter({
    name: 'coordd_resource_conflicts_total',
    help: 'Contended acquires, counted when they end, by kind and resolution (resolved, escalated, abandoned)',
    labelNames: ['kind', 'resolution'] as const,
    registers: [this.registry],
  });

  readonly conflictWait = new Histogram({
    name: 'coordd_resource_wait_seconds',
    help: 'Time a contended acquire waited, by outcome (granted, timeout)',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  // --- Coordination overhead and alerts ---

  readonly coordinationSeconds = new Counter({
    name: 'coordd_coordination_seconds_total',
    help: "The daemon's own time handling coordination calls (waiting excluded)",
    registers: [this.registry],
  });

  readonly agentWorkSeconds = new Counter({
    name: 'coordd_agent_work_seconds_total',
    help: 'Time agents spent on work the daemon gave them (task attempts and delivered messages)',
    registers: [this.registry],
  });

  alertSource: () => readonly string[] = () => [];
  /** Every alert name, so inactive ones export 0 rather than disappearing. */
  alertNames: readonly string[] = [];

  readonly alertsActive = new Gauge({
    name: 'coordd_alerts_active',
    help: 'Performance alerts currently raised (1) or not (0), by alert',
    labelNames: ['alert'] as const,
    registers: [this.registry],
    collect: (): void => {
      const active = new Set(this.alertSource());
      for (const name of this.alertNames) this.alertsActive.labels(name).set(active.has(name) ? 1 : 0);
    },
  });

  readonly alertTransitions = new Counter({
    name: 'coordd_alert_transitions_total',
    help: 'Alerts raised or cleared, by alert and transition',
    labelNames: ['alert', 'to'] as const,
    registers: [this.registry],
  });

  /** coordd_rpc_requests_total counted in plain numbers, added to the counter when it is read. */
  private readonly calls = new DeferredCounter(this.rpcRequests);
  private readonly perMethod = new Map<string, { duration: { observe(v: number): void }; outcomes: Map<string, PendingCount> }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Count one RPC call. Labelled children are cached, and the request count is a plain number
   * until the counter is read (see DeferredCounter): prom-client's inc() costs ~250 bytes of
   * garbage per call, the duration histogram's observe() a third of that.
   */
  observeCall(method: string, outcome: string, seconds: number): void {
    let m = this.perMethod.get(method);
    if (m === undefined) {
      m = { duration: this.rpcDuration.labels(method), outcomes: new Map() };
      this.perMethod.set(method, m);
    }
    let count = m.outcomes.get(outcome);
    if (count === undefined) {
      count = this.calls.labels(method, outcome);
      m.outcomes.set(outcome, count);
    }
    count.n++;
    m.duration.observe(seconds);
  }

  /**
   * Estimated quantiles (seconds) of one method's handling time since start, interpolated within
   * the duration histogram's buckets exactly as PromQL's histogram_quantile does.
   */
  async callQuantiles(method: string, quantiles: readonly number[]): Promise<number[]> {
    return this.quantiles(this.rpcDuration, quantiles, (labels) => labels.method === method);
  }

  /** Quantiles (seconds) of an unlabelled histogram, interpolated within its buckets. */
  async histogramQuantiles(histogram: Histogram, quantiles: readonly number[]): Promise<number[]> {
    return this.quantiles(histogram, quantiles, () => true);
  }

  private async quantiles(histogram: Histogram<string>, quantiles: readonly number[], match: (labels: Record<string, unknown>) => boolean): Promise<number[]> {
    const { values } = await histogram.get();
    const buckets = values
      .filter((v) => v.metricName?.endsWith('_bucket') && match(v.labels))
      .map((v) => {
        const le = (v.labels as Record<string, string | number | undefined>).le;
        return { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: v.value };
      });
    return quantiles.map((q) => histogramQuantile(q, buckets));
  }
}
