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
import type { Role } from './schemas/method.js';
import { systemClock, type Clock } from './time/clock.js';
import { TokenTable } from './transport/auth.js';
import { HttpServer } from './transport/http-server.js';
import { CloseCode, type WsTransport } from './transport/ws-transport.js';
import { registerCoordinationApi } from './api/coordination-api.js';
import { registerRouterApi } from './api/router-api.js';
import { registerDiscoverApi } from './api/discover-api.js';

export interface DaemonDeps {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  ids?: IdGenerator;
  tokens?: TokenTable;
  /** Check every RPC result against its schema (tests). @defaultValue false */
  validateResults?: boolean;
}

type ServerSession = Session & { peer: RpcPeer };

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
  private readonly http: HttpServer;
  private readonly sessions = new Map<string, ServerSession>();
  private ready = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    deps: DaemonDeps = {},
  ) {
    const clock = deps.clock ?? systemClock;
    const ids = deps.ids ?? uuid;
    this.logger = deps.logger ?? createLogger(config.logLevel);
    const tokens = deps.tokens ?? new TokenTable([]);
    const { metrics, logger } = this;

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
        random: deps.random ?? systemRandom,
        scores: this.coordination,
        log: logger.child({ component: 'router' }),
        onSelection: (e) => metrics.routerSelections.labels(e.strategy, String(e.fallback)).inc(),
      },
      { enableRep: config.coordination.enableRep, defaultStrategy: config.routerStrategy },
    );

    this.engine = new RpcEngine(
      {
        log: logger,
        observer: {
          onCall: (method, outcome, seconds) => metrics.observeCall(method, outcome, seconds),
        },
      },
      { maxBatch: config.maxBatch, validateResults: deps.validateResults ?? false },
    );
    registerDiscoverApi(this.engine);
    registerCoordinationApi(this.engine, { coordination: this.coordination, router: this.router, metrics, config });
    registerRouterApi(this.engine, { router: this.router, candidates: this.candidateSource() });

    this.http = new HttpServer(
      {
        log: logger,
        ids,
        tokens,
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        isReady: () => this.ready,
        onConnection: (t, role) => this.onConnection(t, role),
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
    const bound = await this.http.listen();
    this.coordination.start();
    this.ready = true;
    this.logger.info({ port: bound.port, url: bound.url, host: this.config.host }, 'listening');
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
    this.ready = false;
    this.http.stopAccepting();
    this.logger.info({ reason, inFlight: this.engine.pending() }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      this.engine.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!settled) this.logger.warn({ inFlight: this.engine.pending() }, 'shutdown timeout: closing with calls still running');
    this.coordination.stop();
    await this.http.close(CloseCode.GOING_AWAY, 'daemon shutting down');
    this.logger.info({}, 'stopped');
  }

  private onConnection(transport: WsTransport, role: Role): void {
    const log = this.logger.child({ connectionId: transport.id });
    const session: ServerSession = {
      id: transport.id,
      role,
      log,
      remoteAddress: transport.remoteAddress,
      peer: new RpcPeer((text) => transport.send(text), this.config.requestTimeoutMs),
      agentId: undefined,
    };
    this.sessions.set(session.id, session);
    this.metrics.wsConnections.inc();
    log.info({ role, remoteAddress: transport.remoteAddress }, 'connection open');
    transport.onmessage = (text) => {
      this.engine.handleText(text, session).then(
        (reply) => reply !== undefined && transport.send(reply),
        (err: unknown) => log.error({ err }, 'unexpected engine failure'),
      );
    };
    transport.onclose = (code, why) => {
      this.sessions.delete(session.id);
      session.peer.close();
      this.metrics.wsConnections.dec();
      log.info({ code, reason: why || undefined, closedBy: transport.closeReason ?? 'client' }, 'connection closed');
    };
  }

  private isAgentConnected(agentId: string): boolean {
    for (const s of this.sessions.values()) if (s.agentId === agentId) return true;
    return false;
  }

  /** Until the agent pool exists, candidates are the agents the coordination service knows. */
  private candidateSource(): CandidateSource {
    return {
      candidates: ({ ids, requiredCapabilities }) => {
        // No agent has declared capabilities yet (agent.register comes with the pool).
        if (requiredCapabilities && requiredCapabilities.length > 0) return [];
        return (ids ?? this.coordination.knownAgents()).map((agentId) => ({ agentId, inFlight: 0 }));
      },
    };
  }
}
