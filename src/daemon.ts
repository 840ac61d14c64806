import type { Logger } from 'pino';
import type { Config } from './config.js';
import { CoordinationService } from './coordination/coordination-service.js';
import { uuid, type IdGenerator } from './ids.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { systemRandom, type Random } from './random.js';
import { MessageRouter } from './routing/message-router.js';
import type { CandidateSource } from './routing/candidate-source.js';
import { RpcEngine } from './rpc/engine.js';
import { RpcPeer } from './rpc/peer.js';
import type { Session } from './rpc/session.js';
import { systemClock, type Clock } from './time/clock.js';
import { TokenTable } from './transport/auth.js';
import { HttpServer } from './transport/http-server.js';
import { CloseCode, type WsTransport } from './transport/ws-transport.js';
import { registerCoordinationApi } from './api/coordination-api.js';
import { registerRouterApi } from './api/router-api.js';
import { registerDiscoverApi } from './api/discover-api.js';
import { registerAgentApi } from './api/agent-api.js';
import { registerTaskApi } from './api/task-api.js';
import { registerPoolApi } from './api/pool-api.js';
import { registerScalingApi } from './api/scaling-api.js';
import { registerResourceApi } from './api/resource-api.js';
import { LeaseManager } from './resources/lease-manager.js';
import { leaseOptionsFromFile } from './resources/lease-options.js';
import type { AutoScaler } from './pool/scaling/index.js';
import { AgentCallError, type AgentChannel } from './pool/agent-channel.js';
import { MemoryTaskStore } from './pool/memory-task-store.js';
import { PoolService } from './pool/pool-service.js';
import type { TaskStore } from './pool/task-store.js';
import { PeerError } from './rpc/peer.js';
import type { Identity } from './transport/auth.js';
import { Spawner } from './spawn/spawner.js';
import { loadTemplates, type AgentTemplate } from './spawn/templates.js';
import { registerConversationApi } from './api/conversation-api.js';
import { ConversationStore } from './conversations/conversation-store.js';
import { MessageRoutingService } from './messaging/message-routing-service.js';
import { AgentCallFailed, type AgentDirectory } from './messaging/routable-agent.js';
import { CircuitBreakers } from './routing/circuit-breaker.js';
import { AlertEvaluator } from './alerts/alert-evaluator.js';
import { countsAsCoordination } from './alerts/coordination-time.js';
import { AlertSubscribers, registerAlertsApi } from './api/alerts-api.js';
import { ALERT_NAMES } from './schemas/alerts.js';
import { TASK_STATES } from './schemas/task.js';

export interface DaemonDeps {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  ids?: IdGenerator;
  tokens?: TokenTable;
  /** Where tasks live. @defaultValue a MemoryTaskStore with the configured retention */
  store?: TaskStore;
  /** Worker templates. @defaultValue the built-in `echo` plus COORDD_AGENT_TEMPLATES */
  templates?: ReadonlyMap<string, AgentTemplate>;
  /** Check every RPC result against its schema (tests). @defaultValue false */
  validateResults?: boolean;
}

type ServerSession = Session & { peer: RpcPeer; transport: WsTransport };

/**
 * What other parts feed the performance alerts with. Each call also moves the Prometheus
 * counter the matching rule in deploy/prometheus-rules.yml reads, so both see the same numbers.
 */
export interface AlertInputs {
  /** The daemon's own time on coordination outside the RPC observer (router.route's overhead). */
  coordinationTime(seconds: number): void;
  /** An agent's time on one piece of work: a message delivery attempt (task attempts come from the pool observer). */
  agentWork(seconds: number): void;
  /** A contended acquire was granted after waiting (the lease manager observes coordd_resource_wait_seconds itself). */
  conflictResolved(waitSeconds: number): void;
  /** A contended acquire timed out after waiting. */
  conflictEscalated(waitSeconds: number): void;
}

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
  private readonly tokens: TokenTable;
  private url = '';
  private readonly http: HttpServer;
  private readonly sessions = new Map<string, ServerSession>();
  private ready = false;
  private starting: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    deps: DaemonDeps = {},
  ) {
    const clock = deps.clock ?? systemClock;
    const ids = deps.ids ?? uuid;
    this.logger = deps.logger ?? createLogger(config.logLevel);
    const tokens = deps.tokens ?? new TokenTable([]);
    this.tokens = tokens;
    const { metrics, logger } = this;
    const random = deps.random ?? systemRandom;

    this.coordination = new CoordinationService(
      {
        clock,
        ids,
        log: logger.child({ component: 'coordination' }),
        isConnected: (agentId) => this.isAgentConnected(agentId),
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
      { maxBatch: config.maxBatch, validateResults: deps.validateResults ?? false },
    );
    const file = config.file;
    this.breakers = new CircuitBreakers(
      {
        clock,
        onTransition: (t) => {
          metrics.breakerTransitions.labels(t.to).inc();
          const log = logger.child({ component: 'circuit-breaker' });
          if (t.to === 'open') log.warn(t, 'circuit breaker opened: agent kept out of routing');
          else log.info(t, `circuit breaker ${t.to}`);
          // A half-open breaker lets one trial through: queued tasks may now go there.
          if (t.to === 'half_open') this.pool.reconsider();
        },
      },
      { failureThreshold: file.circuitBreaker.failureThreshold, cooldownMs: file.circuitBreaker.cooldownSeconds * 1000 },
    );
    this.leases = new LeaseManager(
      {
        clock,
        ids,
        log: logger.child({ component: 'leases' }),
        observer: {
          acquired: (result) => metrics.resourceAcquires.labels(result).inc(),
          leaseEnded: (reason) => metrics.leaseEnds.labels(reason).inc(),
          conflictEnded: (e) => {
            metrics.conflicts.labels(e.kind, e.resolution).inc();
            if (e.resolution === 'resolved') {
              metrics.conflictWait.labels('granted').observe(e.waitedMs! / 1000);
              this.alertInputs.conflictResolved(e.waitedMs! / 1000);
            } else if (e.resolution === 'escalated') {
              metrics.conflictWait.labels('timeout').observe(e.waitedMs! / 1000);
              this.alertInputs.conflictEscalated(e.waitedMs! / 1000);
            }
          },
        },
      },
      leaseOptionsFromFile(config.file.leases),
    );
    metrics.leaseSource = () => this.leases.stats();
    this.pool = new PoolService(
      {
        clock,
        gate: this.breakers,
        ids,
        random,
        router: this.router,
        store: deps.store ?? new MemoryTaskStore({ clock }, { retentionMs: config.pool.retentionMs, retentionCount: config.pool.retentionCount }),
        log: logger.child({ component: 'pool' }),
        observer: {
          taskState: (task) => {
            metrics.tasks.labels(task.state).inc();
            this.alerts.taskEntered(task.state);
          },
          requeued: (_task, reason) => metrics.taskRequeues.labels(reason).inc(),
          staleEpoch: (kind) => metrics.staleEpochReports.labels(kind).inc(),
          agentState: (agentId, state) => {
            metrics.agentStateChanges.labels(state).inc();
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
        affinityWaitMs: config.pool.affinityWaitMs,
        defaultStrategy: config.routerStrategy,
      },
    );
    metrics.poolSource = () => {
      const snap = this.pool.snapshot();
      return { queueDepth: snap.queue.depth, agentsByState: snap.agents.byState, utilization: snap.utilization };
    };
    this.alerts = this.createAlerts(clock);
    this.alertInputs = {
      coordinationTime: (seconds) => {
        metrics.coordinationSeconds.inc(seconds);
        this.alerts.coordinationTime(seconds);
      },
      agentWork: (seconds) => {
        metrics.agentWorkSeconds.inc(seconds);
        this.alerts.agentWork(seconds);
      },
      conflictResolved: (waitSeconds) => this.alerts.conflictResolved(waitSeconds),
      conflictEscalated: (waitSeconds) => this.alerts.conflictEscalated(waitSeconds),
    };
    this.spawner = new Spawner(
      {
        log: logger.child({ component: 'spawner' }),
        ids,
        issueJoinToken: (token, spawnId) => tokens.add(token, { role: 'agent', principal: `spawn:${spawnId}` }),
        revokeJoinToken: (token) => tokens.remove(token),
        url: () => this.url,
      },
      { templates: deps.templates ?? loadTemplates(config.pool.templatesFile), spawnTimeoutMs: config.pool.spawnTimeoutMs, maxRestarts: 5 },
    );

    this.conversations = new ConversationStore(
      { clock },
      {
        historyMessages: file.conversations.historyMessages,
        historyBytes: file.conversations.historyBytes,
        maxMessages: file.conversations.maxMessages,
        maxConversations: file.conversations.maxConversations,
        idleTtlMs: file.conversations.idleTtlSeconds * 1000,
      },
    );
    this.messaging = new MessageRoutingService(
      {
        ids,
        router: this.router,
        scores: this.coordination,
        agents: this.agentDirectory(),
        conversations: this.conversations,
        breakers: this.breakers,
        elapsedMs: () => performance.now(),
        log: logger.child({ component: 'messaging' }),
        observer: {
          decided: (by) => metrics.routeDecisions.labels(by).inc(),
          supervisorFallback: (reason) => metrics.supervisorFallbacks.labels(reason).inc(),
          attempt: (outcome, seconds) => {
            metrics.routeAttempts.labels(outcome).inc();
            // One work item per delivery attempt, as the Prometheus overhead rule counts them.
            this.alertInputs.agentWork(seconds);
          },
          routed: (outcome, overheadSeconds) => {
            metrics.routeMessages.labels(outcome).inc();
            metrics.routeOverhead.observe(overheadSeconds);
            this.alertInputs.coordinationTime(overheadSeconds);
          },
        },
      },
      {
        intentRules: file.routing.intentRules,
        supervisorCapability: file.routing.supervisorCapability,
        supervisorTimeoutMs: file.routing.supervisorTimeoutSeconds * 1000,
        maxAttempts: file.routing.maxAttempts,
        deliverTimeoutMs: file.routing.deliverTimeoutSeconds * 1000,
        defaultStrategy: config.routerStrategy,
      },
    );
    metrics.conversationsSource = () => this.conversations.size;
    metrics.breakerSource = () => this.breakers.counts([...this.pool.agents.all()].map((a) => a.agentId));

    registerDiscoverApi(this.engine);
    registerAgentApi(this.engine, { pool: this.pool, spawner: this.spawner, channelFor: (s) => this.channelFor(s as ServerSession) });
    registerTaskApi(this.engine, { pool: this.pool });
    registerPoolApi(this.engine, { pool: this.pool, spawner: this.spawner, metrics, shutdownTimeoutMs: config.shutdownTimeoutMs });
    this.scaler = registerScalingApi(this.engine, { clock, pool: this.pool, spawner: this.spawner, log: logger.child({ component: 'scaler' }) });
    registerCoordinationApi(this.engine, { coordination: this.coordination, router: this.router, metrics, config, breakers: this.breakers });
    registerConversationApi(this.engine, { messaging: this.messaging, conversations: this.conversations });
    registerRouterApi(this.engine, { router: this.router, candidates: this.candidateSource() });
    registerAlertsApi(this.engine, { alerts: this.alerts, subscribers: this.alertSubscribers, thresholds: config.file.alerts });
    registerResourceApi(this.engine, { leases: this.leases });

    this.http = new HttpServer(
      {
        log: logger,
        ids,
        tokens,
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        isReady: () => this.ready,
        onConnection: (t, identity) => this.onConnection(t, identity),
        onAuthFailure: () => metrics.authFailures.inc(),
        onCutOff: (reason) => metrics.wsDisconnects.labels(reason).inc(),
      },
      {
        host: config.host,
        port: config.port,
        maxPayloadBytes: config.maxPayloadBytes,
        maxConnections: config.maxConnections,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        highWaterMarkBytes: config.sendHighWaterMarkBytes,
      },
    );
  }

  /** Listen, start the sweeper, and log the "listening" line tests and scripts read. */
  async start(): Promise<{ port: number; url: string }> {
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
    this.logger.child({}, { level: 'info' }).info({ port: bound.port, url: bound.url, host: this.config.host }, 'listening');
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
    await this.http.close(CloseCode.GOING_AWAY, 'daemon shutting down');
    this.logger.info({}, 'stopped');
  }

  /** The performance alerts: evaluated on the clock, exported, logged and sent to subscribers. */
  private createAlerts(clock: Clock): AlertEvaluator {
    const { metrics } = this;
    const log = this.logger.child({ component: 'alerts' });
    const evaluator = new AlertEvaluator(
      {
        clock,
        log,
        poolLoad: () => {
          const snap = this.pool.snapshot();
          return { totalSlots: snap.capacity.total, usedSlots: snap.capacity.used, queued: snap.queue.depth };
        },
        observer: {
          raised: (a) => {
            metrics.alertTransitions.labels(a.alert, 'raised').inc();
            log.warn({ alert: a.alert, value: a.value, threshold: a.threshold, detail: a.message }, 'alert raised');
            this.alertSubscribers.raised(a);
          },
          cleared: (a) => {
            metrics.alertTransitions.labels(a.alert, 'cleared').inc();
            log.info({ alert: a.alert, value: a.value, threshold: a.threshold, reason: a.reason, activeMs: a.clearedAt - a.startedAt, detail: a.message }, 'alert cleared');
            this.alertSubscribers.cleared(a);
          },
        },
      },
      this.config.file.alerts,
    );
    metrics.alertNames = ALERT_NAMES;
    metrics.alertSource = () => evaluator.activeNames();
    // Every task state exported from the start: a series that appears mid-window loses its first
    // increase in PromQL, and the completion-rate rule reads FAILED and COMPLETED.
    for (const state of TASK_STATES) metrics.tasks.labels(state).inc(0);
    for (const name of ALERT_NAMES) for (const to of ['raised', 'cleared']) metrics.alertTransitions.labels(name, to).inc(0);
    return evaluator;
  }

  private onConnection(transport: WsTransport, identity: Identity): void {
    const { role, principal } = identity;
    const log = this.logger.child({ connectionId: transport.id });
    const session: ServerSession = {
      id: transport.id,
      role,
      log,
      remoteAddress: transport.remoteAddress,
      peer: new RpcPeer((text) => transport.send(text), this.config.requestTimeoutMs),
      agentId: undefined,
      principal,
      transport,
    };
    this.sessions.set(session.id, session);
    this.metrics.wsConnections.inc();
    log.info({ role, remoteAddress: transport.remoteAddress }, 'connection open');
    const reply = (text: string | undefined): void => {
      if (text !== undefined) transport.send(text);
    };
    transport.onmessage = (text) => {
      const out = this.engine.handleText(text, session);
      if (typeof out === 'object') out.then(reply, (err: unknown) => log.error({ err }, 'unexpected engine failure'));
      else reply(out);
    };
    transport.onclose = (code, why) => {
      this.sessions.delete(session.id);
      this.alertSubscribers.remove(session.id);
      session.peer.close();
      // Before the pool hears of it, so these leases end as 'disconnected' rather than 'removed'.
      this.leases.releaseSession(session.id, 'disconnected');
      if (session.agentId !== undefined) this.pool.disconnected(session.agentId, session.id);
      this.metrics.wsConnections.dec();
      log.info({ code, reason: why || undefined, closedBy: transport.closeReason ?? 'client' }, 'connection closed');
    };
  }

  private isAgentConnected(agentId: string): boolean {
    return this.pool.agents.get(agentId) !== undefined;
  }

  /** The pool's narrow view of a connection: task.run requests, notifications, close. */
  private channelFor(session: ServerSession): AgentChannel {
    return {
      runTask: (params, timeoutMs) =>
        session.peer.request('task.run', params, { timeoutMs }).catch((err: unknown) => {
          throw toAgentCallError(err);
        }),
      request: (method, params, timeoutMs) =>
        session.peer.request(method, params, { timeoutMs }).catch((err: unknown) => {
          throw toAgentCallError(err);
        }),
      notify: (method, params) => session.peer.notify(method, params),
      close: (reason) => session.transport.close(reason.startsWith('taken over') ? CloseCode.TAKEN_OVER : CloseCode.REMOVED, reason),
    };
  }

  /** Message routing's view of the pool: live agents (not draining or degraded) and their connections. */
  private agentDirectory(): AgentDirectory {
    return {
      routable: () => {
        const out = [];
        for (const a of this.pool.agents.all()) {
          if (a.draining || a.degraded) continue;
          const channel = a.channel;
          out.push({
            agentId: a.agentId,
            capabilities: a.capabilities,
            inFlight: a.inFlight.size,
            capacity: a.capacity,
            call: (method: string, params: object, timeoutMs: number) =>
              channel.request(method, params, timeoutMs).catch((err: unknown) => {
                throw toCallFailed(err);
              }),
          });
        }
        return out;
      },
    };
  }

  /**
   * Candidates for router.select: registered agents (with their capabilities and in-flight work),
   * plus agents known only from their signals when no capability is required.
   */
  private candidateSource(): CandidateSource {
    return {
      candidates: ({ ids, requiredCapabilities }) => {
        const required = requiredCapabilities ?? [];
        const registered = (agentId: string) => this.pool.agents.get(agentId);
        const pick = (agentId: string) => {
          const a = registered(agentId);
          if (a) return required.every((c) => a.capabilities.has(c)) ? { agentId, inFlight: a.inFlight.size, capacity: a.capacity } : undefined;
          return required.length === 0 ? { agentId, inFlight: 0 } : undefined;
        };
        const universe = ids ?? [...new Set([...[...this.pool.agents.all()].map((a) => a.agentId), ...this.coordination.knownAgents()])];
        return universe.map(pick).filter((c) => c !== undefined);
      },
    };
  }
}

function toAgentCallError(err: unknown): AgentCallError {
  if (err instanceof PeerError) {
    if (err.code === 'TIMEOUT') return new AgentCallError('timeout', err.message);
    if (err.code === 'REMOTE_ERROR') return new AgentCallError('remote', err.message, err.remote);
    return new AgentCallError('disconnected', err.message);
  }
  return new AgentCallError('disconnected', err instanceof Error ? err.message : 'send failed');
}

/** A failed agent call in message routing's words. */
function toCallFailed(err: unknown): AgentCallFailed {
  const e = err instanceof AgentCallError ? err : toAgentCallError(err);
  if (e.kind === 'timeout') return new AgentCallFailed('timeout', e.message);
  if (e.kind === 'remote') return new AgentCallFailed('error', e.message, e.remote && { code: e.remote.code, message: e.remote.message });
  return new AgentCallFailed('disconnected', e.message);
}
