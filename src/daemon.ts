import type { Logger } from 'pino';
import { setValueLimits } from './schemas/json-value.js';
import type { Config } from './config.js';
import { CoordinationService } from './coordination/coordination-service.js';
import { uuid, type IdGenerator } from './ids.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { systemRandom, type Random } from './random.js';
import { MessageRouter } from './routing/message-router.js';
import { RpcEngine } from './rpc/engine.js';
import { RpcPeer } from './rpc/peer.js';
import type { Session } from './rpc/session.js';
import { systemClock, type Clock } from './time/clock.js';
import { TokenTable } from './transport/auth.js';
import { HttpServer } from './transport/http-server.js';
import { OriginPolicy } from './transport/origin-policy.js';
import { loadTlsFiles, type TlsMaterial } from './tls-files.js';
import { CloseCode, type WsTransport } from './transport/ws-transport.js';
import { Outboxes, type Outbox } from './transport/outbox.js';
import { registerCoordinationApi } from './api/coordination-api.js';
import { registerRouterApi } from './api/router-api.js';
import { registerDiscoverApi } from './api/discover-api.js';
import { registerSessionApi } from './api/session-api.js';
import { registerAgentApi } from './api/agent-api.js';
import { registerTaskApi } from './api/task-api.js';
import { registerPoolApi } from './api/pool-api.js';
import { registerScalingApi } from './api/scaling-api.js';
import { registerResourceApi } from './api/resource-api.js';
import type { LeaseManager } from './resources/lease-manager.js';
import type { AutoScaler } from './pool/scaling/index.js';
import type { AgentChannel } from './pool/agent-channel.js';
import { PoolService } from './pool/pool-service.js';
import type { DurableStores } from './stores/open-stores.js';
import { createOutbox, memoryStores, recoverFromStores } from './wiring/stores.js';
import type { TurnOutbox } from './wiring/turn-outbox.js';
import type { Identity } from './transport/auth.js';
import { agentDirectory, candidateSource } from './wiring/agent-calls.js';
import { createAlerts, type AlertInputs } from './wiring/alerts.js';
import { createLeases } from './wiring/leases.js';
import { createBreakers, createMessaging } from './wiring/messaging.js';
import { Spawner } from './spawn/spawner.js';
import { loadTemplates, type AgentTemplate } from './spawn/templates.js';
import { registerConversationApi } from './api/conversation-api.js';
import type { ConversationStore } from './conversations/conversation-store.js';
import type { MessageRoutingService } from './messaging/message-routing-service.js';
import type { CircuitBreakers } from './routing/circuit-breaker.js';
import type { AlertEvaluator } from './alerts/alert-evaluator.js';
import { countsAsCoordination } from './alerts/coordination-time.js';
import { FrameTiming } from './rpc/frame-timing.js';
import { AlertSubscribers, registerAlertsApi } from './api/alerts-api.js';
import { registerAgentAdminApi } from './api/agent-admin-api.js';
import { registerEventsApi } from './api/events-api.js';
import { registerTaskAdminApi } from './api/task-admin-api.js';
import { Operator } from './wiring/operator.js';
import { poolStatusOf } from './wiring/pool-status.js';
import { VERSION } from './version.js';

export interface DaemonDeps {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  ids?: IdGenerator;
  tokens?: TokenTable;
  /** Where state lives (main opens COORDD_STORE). @defaultValue stores in memory with the configured retention */
  stores?: DurableStores;
  /** Worker templates. @defaultValue the built-in `echo` plus COORDD_AGENT_TEMPLATES */
  templates?: ReadonlyMap<string, AgentTemplate>;
  /** Check every RPC result against its schema (tests). @defaultValue false */
  validateResults?: boolean;
  /** Certificate and key, already read (main checks them before anything starts). @defaultValue read from config.tls */
  tls?: TlsMaterial;
}

type ServerSession = Session & { peer: RpcPeer; transport: WsTransport; outbox: Outbox };

/** The transport's clock for frame timing (one function, not a closure per frame). */
const now = (): number => performance.now();

/**
 * Wires the daemon: logger and metrics, the coordination service and its sweeper, the router,
 * the RPC engine with every method, and the HTTP/WebSocket server. Nothing else knows all of them.
 */
export class Daemon {
  readonly logger: Logger;
  readonly metrics = new Metrics();
  readonly coordination: CoordinationService;
  readonly router: MessageRouter;
  readonly engine: RpcEngine;
  readonly pool: PoolService;
  readonly spawner: Spawner;
  readonly scaler: AutoScaler;
  readonly breakers: CircuitBreakers;
  readonly conversations: ConversationStore;
  readonly messaging: MessageRoutingService;
  readonly alerts: AlertEvaluator;
  /** Feeds for the alerts from parts wired later (message routing, leases). */
  readonly alertInputs: AlertInputs;
  private readonly alertSubscribers = new AlertSubscribers();
  readonly leases: LeaseManager;
  /** Agent views and changes, and the event stream (agent.*, events.*). */
  readonly operator: Operator;
  private readonly tokens: TokenTable;
  /**
   * Every frame the daemon sends leaves through its connection's outbox, flushed once per turn of
   * the event loop; `outboxes.beforeFlush(hook)` runs the hook before each flush (see Outboxes).
   */
  readonly outboxes: Outboxes;
  /** Outbound request timeouts run on the daemon's clock, like every other timer. */
  private readonly clock: Clock;
  private url = '';
  private readonly http: HttpServer;
  private readonly sessions = new Map<string, ServerSession>();
  /** Durable state: tasks, leases, conversations, scaling. */
  readonly stores: DurableStores;
  /** Commit before anyone is told (a durable store only; undefined in memory). */
  private readonly turns: TurnOutbox | undefined;
  private readonly stopTurns: () => void;
  private ready = false;
  private starting: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    deps: DaemonDeps = {},
  ) {
    const clock = deps.clock ?? systemClock;
    this.clock = clock;
    const ids = deps.ids ?? uuid;
    this.logger = deps.logger ?? createLogger(config.logLevel);
    const tokens = deps.tokens ?? new TokenTable([]);
    this.tokens = tokens;
    const { metrics, logger } = this;
    const random = deps.random ?? systemRandom;
    setValueLimits({ maxDepth: config.limits.maxDepth, maxBytes: config.limits.maxValueBytes });
    this.outboxes = new Outboxes({ onHookFailure: (err) => logger.error({ err }, 'flush hook failed: the frames of that turn were not sent') });
    // ---- durable state (issue 11): the stores, and the turn outbox that commits each turn before it speaks
    this.stores = deps.stores ?? memoryStores(config, clock);
    ({ outbox: this.turns, stop: this.stopTurns } = createOutbox(this.stores, { logger: this.logger, clock }));

    this.coordination = new CoordinationService(
      {
        clock,
        ids,
        log: logger.child({ component: 'coordination' }),
        isConnected: (agentId) => this.isAgentConnected(agentId),
        registered: () => this.pool.agents.ids(),
        onSweep: (r) => {
          metrics.sweeperRuns.inc();
          metrics.sweepDuration.observe(r.durationMs / 1000);
          for (const [type, n] of Object.entries(r.removedByType)) if (n > 0) metrics.signalsExpired.labels(type).inc(n);
          logger.debug({ ...r, component: 'sweeper' }, 'sweep');
        },
      },
      { ...config.coordination, overloadThreshold: config.overloadThreshold },
    );
    metrics.agentsTrackedSource = () => this.coordination.stats().agentsTracked;

    this.router = new MessageRouter(
      {
        random,
        scores: this.coordination,
        log: logger,
        onSelection: (e) => metrics.routerSelections.labels(e.strategy, String(e.fallback)).inc(),
      },
      { enableRep: config.coordination.enableRep, defaultStrategy: config.routerStrategy },
    );

    this.engine = new RpcEngine(
      {
        log: logger,
        observer: {
          onCall: (method, outcome, seconds) => {
            metrics.observeCall(method, outcome, seconds);
            if (countsAsCoordination(method)) this.alertInputs.coordinationTime(seconds);
          },
        },
      },
      { maxBatch: config.maxBatch, validateResults: deps.validateResults ?? false, maxPendingPerConnection: config.maxPendingPerConnection },
    );
    const file = config.file;
    const alertSubscribers = this.alertSubscribers;
    // Alerts go to coordination.alerts subscribers and into the event stream (events.subscribe).
    const subscribers = {
      raised: (a: Parameters<AlertSubscribers['raised']>[0]) => {
        alertSubscribers.raised(a);
        this.operator.feed.alertRaised(a);
      },
      cleared: (a: Parameters<AlertSubscribers['cleared']>[0]) => {
        alertSubscribers.cleared(a);
        this.operator.feed.alertCleared(a);
      },
    };
    const alerts = createAlerts(
      {
        clock,
        logger,
        metrics,
        subscribers,
        poolLoad: () => {
          const snap = this.pool.snapshot();
          return { totalSlots: snap.capacity.total, usedSlots: snap.capacity.used, queued: snap.queue.depth };
        },
      },
      file.alerts,
    );
    this.alerts = alerts.evaluator;
    this.alertInputs = alerts.inputs;
    this.breakers = createBreakers(
      { clock, logger, metrics, onHalfOpen: () => this.pool.reconsider(), isLive: (agentId) => this.pool.agents.get(agentId) !== undefined },
      file.circuitBreaker,
    );
    this.leases = createLeases({ clock, ids, logger, metrics, alerts: this.alertInputs, store: this.stores.leases }, file.leases);
    this.pool = new PoolService(
      {
        clock,
        gate: this.breakers,
        ids,
        random,
        router: this.router,
        store: this.stores.tasks,
        storeName: this.stores.description,
        log: logger.child({ component: 'pool' }),
        observer: {
          taskState: (task, previous) => {
            metrics.tasks.labels(task.state).inc();
            this.alerts.taskEntered(task.state);
            this.operator.feed.taskState(task, previous);
          },
          agentAdmin: (_agentId, action) => metrics.agentAdmin.labels(action).inc(),
          retried: () => metrics.taskRetries.inc(),
          requeued: (_task, reason) => metrics.taskRequeues.labels(reason).inc(),
          staleEpoch: (kind) => metrics.staleEpochReports.labels(kind).inc(),
          agentState: (agentId, state, previous) => {
            metrics.agentStateChanges.labels(state).inc();
            this.operator.feed.agentState(agentId, state, previous);
            // Removal for silence closes the socket too, but its leases end now, not after the close handshake.
            if (state === 'REMOVED') this.leases.releaseAgent(agentId, 'removed');
          },
          queueWait: (seconds) => metrics.taskWait.observe(seconds),
          attemptRan: (seconds) => {
            metrics.taskRun.observe(seconds);
            this.alertInputs.agentWork(seconds);
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
    this.coordination.useLocalLoad(this.pool);
    metrics.poolSource = () => {
      const snap = this.pool.snapshot();
      return { queueDepth: snap.queue.depth, agentsByState: snap.agents.byState, utilization: snap.utilization };
    };
    this.spawner = new Spawner(
      {
        log: logger.child({ component: 'spawner' }),
        ids,
        issueJoinToken: (token, spawnId) => tokens.add(token, { role: 'agent', principal: `spawn:${spawnId}` }),
        revokeJoinToken: (token) => tokens.remove(token),
        url: () => this.url,
      },
      {
        templates: deps.templates ?? loadTemplates(config.pool.templatesFile),
        spawnTimeoutMs: config.pool.spawnTimeoutMs,
        maxRestarts: 5,
        // Children connect back over wss:// and must trust the daemon's certificate (self-signed included).
        env: config.tls ? { NODE_EXTRA_CA_CERTS: config.tls.certFile } : {},
      },
    );

    this.operator = new Operator({ clock, pool: this.pool, coordination: this.coordination, breakers: this.breakers, spawner: this.spawner, metrics, log: logger.child({ component: 'operator' }) });
    metrics.buildInfo.labels(VERSION).set(1);

    ({ conversations: this.conversations, messaging: this.messaging } = createMessaging(
      {
        clock,
        ids,
        logger,
        metrics,
        alerts: this.alertInputs,
        router: this.router,
        scores: this.coordination,
        agents: agentDirectory(this.pool.agents),
        breakers: this.breakers,
        agentIds: () => [...this.pool.agents.all()].map((a) => a.agentId),
      },
      file,
      config.routerStrategy,
    ));

    registerDiscoverApi(this.engine);
    registerSessionApi(this.engine);
    registerAgentApi(this.engine, { pool: this.pool, spawner: this.spawner, ids, channelFor: (s) => this.channelFor(s as ServerSession) });
    registerTaskApi(this.engine, { pool: this.pool });
    registerTaskAdminApi(this.engine, { pool: this.pool });
    registerAgentAdminApi(this.engine, { operator: this.operator });
    registerEventsApi(this.engine, {
      operator: this.operator,
      poolStatus: () => poolStatusOf(this.pool, metrics),
      poolSnapshot: () => this.pool.snapshot(),
      alerts: () => this.alerts.list(),
    });
    registerPoolApi(this.engine, { pool: this.pool, spawner: this.spawner, metrics, shutdownTimeoutMs: config.shutdownTimeoutMs });
    this.scaler = registerScalingApi(this.engine, { clock, pool: this.pool, spawner: this.spawner, log: logger.child({ component: 'scaler' }) });
    registerCoordinationApi(this.engine, { coordination: this.coordination, router: this.router, metrics, config, breakers: this.breakers });
    registerConversationApi(this.engine, { messaging: this.messaging, conversations: this.conversations });
    registerRouterApi(this.engine, { router: this.router, candidates: candidateSource(this.pool.agents, this.coordination) });
    registerAlertsApi(this.engine, { alerts: this.alerts, subscribers: this.alertSubscribers, thresholds: config.file.alerts });
    registerResourceApi(this.engine, { leases: this.leases });

    this.http = new HttpServer(
      {
        log: logger,
        ids,
        tokens,
        origins: new OriginPolicy({ tls: config.tls !== undefined, bindHost: config.host, allowed: config.allowedOrigins }),
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        isReady: () => this.ready && this.turns?.failed === undefined,
        onConnection: (t, identity) => this.onConnection(t, identity),
        onAuthFailure: () => metrics.authFailures.inc(),
        onOriginRefused: () => metrics.originRefusals.inc(),
        onCutOff: (reason) => metrics.wsDisconnects.labels(reason).inc(),
      },
      {
        host: config.host,
        port: config.port,
        maxPayloadBytes: config.maxPayloadBytes,
        maxConnections: config.maxConnections,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        highWaterMarkBytes: config.sendHighWaterMarkBytes,
        tls: deps.tls ?? (config.tls && loadTlsFiles(config.tls)),
      },
    );
  }

  /** Listen, start the sweeper, and log the "listening" line tests and scripts read. */
  async start(): Promise<{ port: number; url: string }> {
    // Before anyone can connect: the queue and the attempts waiting for their agents, from the store.
    recoverFromStores(this.stores, { pool: this.pool, leases: this.leases, clock: this.clock, logger: this.logger });
    this.stores.commit();
    const listening = this.http.listen();
    this.starting = listening;
    const bound = await listening;
    // Children connect over loopback even when the daemon listens on every interface.
    this.url = bound.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
    this.coordination.start();
    this.pool.start();
    this.alerts.start();
    this.ready = true;
    // The listening line is part of the process contract: written whatever COORDD_LOG_LEVEL says.
    this.logger.child({}, { level: 'info' }).info({ port: bound.port, url: bound.url, host: this.config.host, store: this.stores.description }, 'listening');
    return bound;
  }

  /**
   * Graceful stop: refuse new connections, let running calls settle (bounded by
   * COORDD_SHUTDOWN_TIMEOUT), close sockets with 1001, stop timers.
   */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    // A signal during start(): let listen() finish so the server closes cleanly.
    await this.starting?.catch(() => undefined);
    this.ready = false;
    this.http.stopAccepting();
    // Waiting resource.acquire calls would otherwise hold the engine busy until the shutdown timeout.
    this.leases.stop();
    this.logger.info({ reason, inFlight: this.engine.pending() }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const [settled, drained] = await Promise.all([
      Promise.race([
        this.engine.whenIdle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs))),
      ]),
      this.pool.shutdown(this.config.shutdownTimeoutMs),
    ]);
    clearTimeout(timer);
    if (!settled) this.logger.warn({ inFlight: this.engine.pending() }, 'shutdown timeout: closing with calls still running');
    this.logger.info(drained, 'pool drained');
    this.scaler.stop();
    await this.scaler.idle();
    await this.spawner.stopAll(2000);
    this.coordination.stop();
    this.breakers.stop();
    this.alerts.stop();
    this.turns?.flush();
    await this.outboxes.flushed();
    await this.http.close(CloseCode.GOING_AWAY, 'daemon shutting down');
    this.closeStores();
    this.logger.info({}, 'stopped');
  }

  /** Commit what is left and release the store's file (after the last message went out). */
  private closeStores(): void {
    this.stopTurns();
    this.turns?.flush();
    try {
      if (this.turns?.failed === undefined) this.stores.close();
    } catch (err) {
      this.logger.error({ err }, 'the store could not be closed cleanly; the next start recovers from the last commit');
    }
  }

  private onConnection(transport: WsTransport, identity: Identity): void {
    const { role, principal, credential, scope } = identity;
    const log = this.logger.child({ connectionId: transport.id });
    const outbox = this.outboxes.open(transport);
    const session: ServerSession = {
      id: transport.id,
      role,
      log,
      remoteAddress: transport.remoteAddress,
      peer: new RpcPeer(this.sender(outbox, false), this.config.requestTimeoutMs, undefined, this.clock, (err, method) => {
        const errorId = uuid();
        log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, errorId, method }, 'outbound message could not be serialised');
        return errorId;
      }),
      agentId: undefined,
      principal,
      credential,
      scope,
      transport,
      outbox,
    };
    this.sessions.set(session.id, session);
    this.metrics.wsConnections.inc();
    log.info({ role, credential, remoteAddress: transport.remoteAddress }, 'connection open');
    const send = this.sender(outbox, true);
    const reply = (text: string | undefined): void => {
      if (text !== undefined) send(text);
    };
    transport.onmessage = (text) => {
      // Timed from before parsing to after the reply is handed to the socket (router.route's overhead).
      const frame = new FrameTiming(now);
      let out: ReturnType<RpcEngine['handleText']>;
      try {
        out = this.engine.handleText(text, session, frame);
      } catch (err) {
        // The engine answers every failure per request; this is a bug's last stop, kept to this
        // connection so no frame can reach the process's fatal handler.
        const errorId = uuid();
        log.error({ err, errorId }, 'unexpected failure handling a frame');
        out = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error', data: { errorId } } });
      }
      if (typeof out === 'object') {
        out.then(reply, (err: unknown) => log.error({ err }, 'unexpected engine failure')).finally(() => frame.replied());
      } else {
        reply(out);
        frame.replied();
      }
    };
    transport.onclose = (code, why) => {
      this.sessions.delete(session.id);
      outbox.discard();
      this.alertSubscribers.remove(session.id);
      this.operator.connectionClosed(session.id);
      session.peer.close();
      // Before the pool hears of it, so these leases end as 'disconnected' rather than 'removed'.
      this.leases.releaseSession(session.id, 'disconnected');
      if (session.agentId !== undefined) this.pool.disconnected(session.agentId, session.id);
      this.metrics.wsConnections.dec();
      log.info({ code, reason: why || undefined, closedBy: transport.closeReason ?? 'client' }, 'connection closed');
    };
  }

  /**
   * How a connection's messages reach its outbox: at once in memory; with a durable store, through
   * the turn outbox, which commits the turn first (and turns replies into STORE_UNAVAILABLE when
   * the commit fails, which the connection outbox cannot: it does not know replies from requests).
   */
  private sender(outbox: Outbox, replies: boolean): (text: string) => void {
    const turns = this.turns;
    const direct = (text: string): void => outbox.send(text);
    return turns ? (text) => turns.send(direct, text, replies) : direct;
  }

  private isAgentConnected(agentId: string): boolean {
    return this.pool.agents.get(agentId) !== undefined;
  }

  /** The pool's narrow view of a connection: task.run requests, notifications, close. */
  private channelFor(session: ServerSession): AgentChannel {
    return {
      runTask: (params, timeoutMs) => session.peer.request('task.run', params, { timeoutMs }),
      request: (method, params, timeoutMs, onWaited) => session.peer.request(method, params, { timeoutMs, onWaited }),
      notify: (method, params) => session.peer.notify(method, params),
      close: (reason) => session.outbox.close(reason.startsWith('taken over') ? CloseCode.TAKEN_OVER : CloseCode.REMOVED, reason),
    };
  }
}

