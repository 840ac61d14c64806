import type { Logger } from 'pino';
import { countsAsCoordination } from '../alerts/coordination-time.js';
import { registerAgentAdminApi } from '../api/agent-admin-api.js';
import { registerAgentApi } from '../api/agent-api.js';
import { registerAlertsApi } from '../api/alerts-api.js';
import { AlertSubscribers } from './alert-subscribers.js';
import { registerConversationApi } from '../api/conversation-api.js';
import { registerCoordinationApi } from '../api/coordination-api.js';
import { registerDiscoverApi } from '../api/discover-api.js';
import { registerEventsApi } from '../api/events-api.js';
import { registerPoolApi } from '../api/pool-api.js';
import { registerResourceApi } from '../api/resource-api.js';
import { registerRouterApi } from '../api/router-api.js';
import { registerScalingApi } from '../api/scaling-api.js';
import { registerSessionApi } from '../api/session-api.js';
import { registerTaskAdminApi } from '../api/task-admin-api.js';
import { registerTaskApi } from '../api/task-api.js';
import type { Config } from '../config.js';
import { CoordinationService } from '../coordination/coordination-service.js';
import { LoadForecasts } from '../coordination/load-forecasts.js';
import { SignalIntake } from '../coordination/signal-intake.js';
import type { IdGenerator } from '../ids.js';
import { Metrics } from '../observability/metrics.js';
import { PoolService } from '../pool/pool-service.js';
import { AutoScaler } from '../pool/scaling/index.js';
import type { DurableStores } from '../stores/open-stores.js';
import { createOutbox, memoryStores } from './stores.js';
import type { Random } from '../random.js';
import { AgentRouter } from '../routing/agent-router.js';
import { RpcEngine } from '../rpc/engine.js';
import { invalidParamsData } from '../rpc/param-issues.js';
import { setValueLimits } from '../schemas/json-value.js';
import { Spawner } from '../spawn/spawner.js';
import { loadTemplates, type AgentTemplate } from '../spawn/templates.js';
import { WorkerControl } from '../spawn/worker-control.js';
import type { Clock } from '../time/clock.js';
import type { TokenTable } from '../transport/auth.js';
import { Outboxes } from '../transport/outbox.js';
import { agentDirectory, candidateSource } from './agent-calls.js';
import { createAlerts } from './alerts.js';
import { Connections, type ServerSession } from './connections.js';
import { createLeases } from './leases.js';
import { createBreakers, createMessaging } from './messaging.js';
import { poolMetrics, signalMetrics, sweepMetrics, wireMetricSources } from './metrics-wiring.js';
import { Operator } from './operator.js';
import { poolStatusOf } from './pool-status.js';

export interface GraphDeps {
  logger: Logger;
  clock: Clock;
  random: Random;
  ids: IdGenerator;
  tokens: TokenTable;
  /** Where state lives (main opens COORDD_STORE). @defaultValue stores in memory with the configured retention */
  stores?: DurableStores;
  templates?: ReadonlyMap<string, AgentTemplate>;
  validateResults: boolean;
  /** The daemon's own URL once it listens (spawned workers connect back to it). */
  url: () => string;
}

/**
 * Builds the daemon's object graph, each part after what it needs. One cycle is inherent and
 * closed by closures over `pool`, read only once the daemon runs: the pool dispatches through the
 * router, the router reads the coordination service's scores, and the coordination service, the
 * alerts, the breakers and the event feed read or notify the pool (which agents are registered,
 * its load, retry a half-open agent) while the pool's observer notifies them.
 */
export function buildDaemonGraph(config: Config, deps: GraphDeps) {
  const { logger, clock, random, ids, tokens } = deps;
  const file = config.file;
  setValueLimits({ maxDepth: config.limits.maxDepth, maxBytes: config.limits.maxValueBytes });
  const metrics = new Metrics();
  const outboxes = new Outboxes({ onHookFailure: (err) => logger.error({ err }, 'flush hook failed: the frames of that turn were not sent') });
  // Durable state (issue 11): the stores, and the turn outbox that commits each turn before it speaks.
  const stores = deps.stores ?? memoryStores(config, clock);
  const turns = createOutbox(stores, { logger, clock });

  const coordination = new CoordinationService(
    {
      clock,
      ids,
      log: logger.child({ component: 'coordination' }),
      isConnected: (agentId) => pool.agents.get(agentId) !== undefined,
      registered: () => pool.agents.ids(),
      onSweep: sweepMetrics(metrics, logger),
    },
    { ...config.coordination, overloadThreshold: config.overloadThreshold },
  );
  const router = new AgentRouter(
    { random, scores: coordination, log: logger, onSelection: (e) => metrics.routerSelections.labels(e.strategy, String(e.fallback)).inc() },
    { enableRep: config.coordination.enableRep, defaultStrategy: config.routerStrategy },
  );

  // Alerts go to coordination.alerts subscribers and into the event stream (events.subscribe).
  const alertSubscribers = new AlertSubscribers();
  const alerts = createAlerts(
    {
      clock,
      logger,
      metrics,
      subscribers: {
        raised: (a) => {
          alertSubscribers.raised(a);
          operator.feed.alertRaised(a);
        },
        cleared: (a) => {
          alertSubscribers.cleared(a);
          operator.feed.alertCleared(a);
        },
      },
      poolLoad: () => {
        const snap = pool.snapshot();
        return { totalSlots: snap.capacity.total, usedSlots: snap.capacity.used, queued: snap.queue.depth };
      },
    },
    file.alerts,
  );
  const breakers = createBreakers(
    { clock, logger, metrics, onHalfOpen: () => pool.reconsider(), isLive: (agentId) => pool.agents.get(agentId) !== undefined },
    file.circuitBreaker,
  );
  const leases = createLeases({ clock, ids, logger, metrics, alerts: alerts.inputs, store: stores.leases }, file.leases);

  const pool: PoolService = new PoolService(
    {
      clock,
      gate: breakers,
      ids,
      random,
      router,
      store: stores.tasks,
      storeName: stores.description,
      log: logger.child({ component: 'pool' }),
      observer: {
        ...poolMetrics(metrics),
        taskState: (task, previous) => {
          metrics.tasks.labels(task.state).inc();
          alerts.evaluator.taskEntered(task.state);
          operator.feed.taskState(task, previous);
        },
        agentState: (agentId, state, previous) => {
          metrics.agentStateChanges.labels(state).inc();
          operator.feed.agentState(agentId, state, previous);
          // Removal for silence closes the socket too, but its leases end now, not after the close handshake.
          if (state === 'REMOVED') leases.releaseAgent(agentId, 'removed');
        },
        attemptRan: (seconds) => {
          metrics.taskRun.observe(seconds);
          alerts.inputs.agentWork(seconds);
        },
      },
    },
    {
      heartbeatIntervalMs: config.pool.heartbeatIntervalMs,
      leaseTtlMs: config.pool.leaseTtlMs,
      removalGraceMs: config.pool.removalGraceMs,
      defaultTaskTimeoutMs: config.pool.taskTimeoutMs,
      defaultMaxAttempts: config.pool.maxAttempts,
      retryBaseDelayMs: config.pool.retryBaseDelayMs,
      retryMaxDelayMs: config.pool.retryMaxDelayMs,
      maxRequeues: config.pool.maxRequeues,
      maxQueue: config.pool.maxQueue,
      maxQueueBytes: config.limits.maxQueueBytes,
      maxListBytes: config.limits.maxReplyBytes,
      affinityWaitMs: config.pool.affinityWaitMs,
      defaultStrategy: config.routerStrategy,
      reattachGraceMs: config.pool.reattachGraceMs,
    },
  );
  // predictOverload forecasts the agents this daemon holds from its own queue and throughput.
  const forecasts = new LoadForecasts(coordination, pool);

  const spawner = new Spawner(
    {
      clock,
      log: logger.child({ component: 'spawner' }),
      ids,
      issueJoinToken: (token, spawnId) => tokens.add(token, { role: 'agent', principal: `spawn:${spawnId}` }),
      revokeJoinToken: (token) => tokens.remove(token),
      url: deps.url,
    },
    {
      templates: deps.templates ?? loadTemplates(config.pool.templatesFile),
      spawnTimeoutMs: config.pool.spawnTimeoutMs,
      // Children connect back over wss:// and must trust the daemon's certificate (self-signed included).
      env: config.tls ? { NODE_EXTRA_CA_CERTS: config.tls.certFile } : {},
    },
  );
  const workers = new WorkerControl(pool, spawner, stores.scaling);
  const scaler = new AutoScaler({ clock, target: workers.scalingTarget(), log: logger.child({ component: 'scaler' }) });
  const poolStatus = () => poolStatusOf(pool, metrics);
  const operator: Operator = new Operator({
    clock,
    pool,
    coordination,
    forecasts,
    breakers,
    spawner,
    metrics,
    log: logger.child({ component: 'operator' }),
    poolStatus,
    activeAlerts: () => alerts.evaluator.list(),
  });
  const { conversations, messaging } = createMessaging(
    { clock, ids, logger, metrics, alerts: alerts.inputs, router, scores: coordination, agents: agentDirectory(pool.agents), breakers },
    file,
    config.routerStrategy,
  );
  const intake = new SignalIntake({ coordination, observer: signalMetrics(metrics), issuePaths: (issues) => invalidParamsData(issues).paths });
  wireMetricSources(metrics, { coordination, pool, operator, conversations, breakers, leases, alerts: alerts.evaluator });

  const engine = new RpcEngine(
    {
      clock,
      log: logger,
      observer: {
        onCall: (method, outcome, seconds) => {
          metrics.observeCall(method, outcome, seconds);
          if (countsAsCoordination(method)) alerts.inputs.coordinationTime(seconds);
        },
      },
    },
    { maxBatch: config.maxBatch, validateResults: deps.validateResults, maxPendingPerConnection: config.maxPendingPerConnection },
  );
  registerDiscoverApi(engine);
  registerSessionApi(engine);
  registerAgentApi(engine, { pool, spawner, ids, channelFor: (s) => Connections.channelFor(s as ServerSession) });
  registerTaskApi(engine, { pool });
  registerTaskAdminApi(engine, { pool });
  registerAgentAdminApi(engine, { operator });
  registerEventsApi(engine, { operator });
  registerPoolApi(engine, { pool, workers, status: poolStatus, shutdownTimeoutMs: config.shutdownTimeoutMs });
  registerScalingApi(engine, { scaler, spawner });
  registerCoordinationApi(engine, { coordination, forecasts, intake, router, metrics, config, breakers });
  registerConversationApi(engine, { messaging, conversations });
  registerRouterApi(engine, { router, candidates: candidateSource(pool.agents, coordination) });
  registerAlertsApi(engine, { alerts: alerts.evaluator, subscribers: alertSubscribers, thresholds: file.alerts });
  registerResourceApi(engine, { leases, maxReplyBytes: config.limits.maxReplyBytes });

  const connections = new Connections(
    { clock, logger, metrics, engine, outboxes, turns: turns.outbox, pool, leases, operator, alertSubscribers },
    { requestTimeoutMs: config.requestTimeoutMs },
  );
  return { clock, metrics, outboxes, stores, turns, coordination, breakers, alerts: alerts.evaluator, leases, pool, spawner, scaler, engine, connections };
}

export type DaemonGraph = ReturnType<typeof buildDaemonGraph>;
