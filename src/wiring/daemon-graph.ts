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
import { Sweeper } from '../coordination/sweeper.js';
import type { IdGenerator } from '../ids.js';
import { Metrics } from '../observability/metrics.js';
import { PoolObservers, RegisteredIds } from '../pool/pool-observers.js';
import { PoolService } from '../pool/pool-service.js';
import { AutoScaler } from '../pool/scaling/index.js';
import type { DurableStores } from '../stores/open-stores.js';
import { createOutbox, durableConversations, memoryStores } from './stores.js';
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
import { poolMetrics, routerMetrics, signalMetrics, sweepMetrics, wireMetricSources } from './metrics-wiring.js';
import { createAgentFeed, Operator } from './operator.js';
import { AgentSessions } from './agent-sessions.js';
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
 * Builds the daemon's object graph in dependency order: each object after everything it uses, no
 * closure over an object built later (test/unit/wiring/daemon-graph-order.test.ts checks it). The
 * loop between the pool and what reads it is closed by subscriptions instead: the pool tells its
 * observers (PoolObservers), which the alerts, the event feed and the leases join once built, and
 * it subscribes to the breakers going half-open itself.
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

  const coordinationLog = logger.child({ component: 'coordination' });
  const coordination = new CoordinationService(
    { clock, ids, log: coordinationLog, onSweep: sweepMetrics(metrics, logger) },
    { ...config.coordination, overloadThreshold: config.overloadThreshold },
  );
  const router = new AgentRouter(
    { random, scores: coordination, log: logger, onSelection: routerMetrics(metrics) },
    { enableRep: config.coordination.enableRep, defaultStrategy: config.routerStrategy },
  );

  // The pool reports to its subscribers in order: who is registered (the breakers read it) and the
  // metrics first; the alerts, the event feed and the leases join below, once built.
  const poolEvents = new PoolObservers();
  const registered = new RegisteredIds();
  poolEvents.subscribe(registered);
  poolEvents.subscribe(poolMetrics(metrics));
  const breakers = createBreakers({ clock, logger, metrics, isLive: (agentId) => registered.has(agentId) }, file.circuitBreaker);
  const pool = new PoolService(
    {
      clock,
      gate: breakers,
      ids,
      random,
      router,
      store: stores.tasks,
      storeName: stores.description,
      log: logger.child({ component: 'pool' }),
      observer: poolEvents,
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
  const forecasts = new LoadForecasts(coordination, pool, pool.agents);
  // The sweep keeps the pool's agents that have no live signal.
  const coordinationSweep = new Sweeper({ clock, log: coordinationLog }, coordination.options.cleanupIntervalMs, () => coordination.sweep(pool.agents));

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
  const scaler = new AutoScaler({ clock, target: workers.scalingTarget(), log: logger.child({ component: 'scaler' }), store: stores.scaling });
  const poolStatus = () => poolStatusOf(pool, metrics);
  // Agent views and the event stream (events.subscribe), with the feed the pool and the alerts publish to.
  const agentFeed = createAgentFeed({ clock, pool, coordination, forecasts, breakers, spawner });
  const { feed } = agentFeed;

  // Alerts go to coordination.alerts subscribers and into the event stream.
  const alertSubscribers = new AlertSubscribers();
  const alerts = createAlerts(
    {
      clock,
      logger,
      metrics,
      subscribers: {
        raised: (a) => {
          alertSubscribers.raised(a);
          feed.alertRaised(a);
        },
        cleared: (a) => {
          alertSubscribers.cleared(a);
          feed.alertCleared(a);
        },
      },
      poolLoad: () => {
        const snap = pool.snapshot();
        return { totalSlots: snap.capacity.total, usedSlots: snap.capacity.used, queued: snap.queue.depth };
      },
    },
    file.alerts,
  );
  const leases = createLeases({ clock, ids, logger, metrics, alerts: alerts.inputs, store: stores.leases }, file.leases);
  poolEvents.subscribe({
    taskState: (task) => alerts.evaluator.taskEntered(task.state),
    attemptRan: (seconds) => alerts.inputs.agentWork(seconds),
  });
  poolEvents.subscribe(feed);
  // Removal for silence closes the socket too, but its leases end now, not after the close handshake.
  poolEvents.subscribe({
    agentState: (agentId, state) => {
      if (state === 'REMOVED') leases.releaseAgent(agentId, 'removed');
    },
  });

  const operator = new Operator({
    pool,
    spawner,
    agents: agentFeed,
    metrics,
    log: logger.child({ component: 'operator' }),
    poolStatus,
    activeAlerts: () => alerts.evaluator.list(),
  });
  const { conversations, messaging } = createMessaging(
    {
      clock,
      ids,
      logger,
      metrics,
      alerts: alerts.inputs,
      router,
      scores: coordination,
      agents: agentDirectory(pool.agents),
      breakers,
      records: durableConversations(stores),
    },
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
  const sessions = new AgentSessions({ pool, spawner, ids, channelFor: (s) => Connections.channelFor(s as ServerSession) });
  registerAgentApi(engine, { pool, sessions });
  registerTaskApi(engine, { pool });
  registerTaskAdminApi(engine, { pool });
  registerAgentAdminApi(engine, { operator });
  registerEventsApi(engine, { operator });
  registerPoolApi(engine, { pool, workers, status: poolStatus, shutdownTimeoutMs: config.shutdownTimeoutMs });
  registerScalingApi(engine, { scaler });
  registerCoordinationApi(engine, { coordination, forecasts, intake, router, metrics, config, breakers });
  registerConversationApi(engine, { messaging, conversations });
  registerRouterApi(engine, { router, candidates: candidateSource(pool.agents, coordination) });
  registerAlertsApi(engine, { alerts: alerts.evaluator, subscribers: alertSubscribers, thresholds: file.alerts });
  registerResourceApi(engine, { leases, maxReplyBytes: config.limits.maxReplyBytes });

  const connections = new Connections(
    { clock, logger, metrics, engine, outboxes, turns: turns.outbox, pool, leases, operator, alertSubscribers },
    { requestTimeoutMs: config.requestTimeoutMs },
  );
  return {
    clock,
    metrics,
    outboxes,
    stores,
    turns,
    coordination,
    coordinationSweep,
    breakers,
    alerts: alerts.evaluator,
    leases,
    pool,
    spawner,
    scaler,
    engine,
    connections,
  };
}

export type DaemonGraph = ReturnType<typeof buildDaemonGraph>;
