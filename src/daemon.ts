import type { Logger } from 'pino';
import { registerClusterApi } from './api/cluster-api.js';
import type { Config } from './config.js';
import { uuid, type IdGenerator } from './ids.js';
import { createLogger } from './observability/logger.js';
import type { DurableStores } from './stores/open-stores.js';
import { systemRandom, type Random } from './random.js';
import type { RpcEngine } from './rpc/engine.js';
import type { AgentTemplate } from './spawn/templates.js';
import { systemClock, type Clock } from './time/clock.js';
import type { TlsMaterial } from './tls-files.js';
import { TokenTable, type Identity } from './transport/auth.js';
import { configuredHttpServer } from './transport/configured-http-server.js';
import type { HttpServer } from './transport/http-server.js';
import type { Outboxes } from './transport/outbox.js';
import type { Transport } from './transport/transport.js';
import { CloseCode } from './transport/ws-transport.js';
import { buildDaemonGraph, type DaemonGraph } from './wiring/daemon-graph.js';
import { recoverFromStores } from './wiring/stores.js';
import { httpMetrics } from './wiring/metrics-wiring.js';
import { singleNodeStatus } from './wiring/single-node-status.js';

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

/**
 * The coordd process: starts and stops what wiring/daemon-graph.ts builds (the domain, the RPC
 * engine with every method, connections) behind the HTTP/WebSocket server.
 */
export class Daemon {
  readonly logger: Logger;
  /** The RPC engine (tests and benchmarks drive it in-process). */
  readonly engine: RpcEngine;
  /** Every frame leaves through a connection's outbox; `outboxes.beforeFlush(hook)` runs before each flush. */
  readonly outboxes: Outboxes;
  private readonly graph: DaemonGraph;
  private readonly http: HttpServer;
  private url = '';
  private ready = false;
  private starting: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    deps: DaemonDeps = {},
  ) {
    this.logger = deps.logger ?? createLogger(config.logLevel);
    const tokens = deps.tokens ?? new TokenTable([]);
    const clock = deps.clock ?? systemClock;
    this.graph = buildDaemonGraph(config, {
      logger: this.logger,
      clock,
      random: deps.random ?? systemRandom,
      ids: deps.ids ?? uuid,
      tokens,
      stores: deps.stores,
      templates: deps.templates,
      validateResults: deps.validateResults ?? false,
      url: () => this.url,
    });
    const { metrics } = this.graph;
    this.engine = this.graph.engine;
    this.outboxes = this.graph.outboxes;
    // Single-node mode: cluster.status answers this daemon alone (in cluster mode the relay registers it on the leader's core).
    const pool = this.graph.pool;
    registerClusterApi(this.engine, { source: singleNodeStatus({ nodeId: config.cluster.nodeId, url: () => this.url, agents: () => pool.agents.size }) });
    this.http = configuredHttpServer(
      config,
      {
        clock,
        log: this.logger,
        ids: deps.ids ?? uuid,
        tokens,
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        isReady: () => this.ready && this.graph.turns.outbox?.failed === undefined,
        onConnection: (t, identity) => this.connect(t, identity),
        ...httpMetrics(metrics),
      },
      deps.tls,
    );
  }

  /**
   * Serve one authenticated connection: every WebSocket the HTTP server accepts comes through
   * here, and so can any other Transport (tests connect an in-memory linked pair).
   */
  connect(transport: Transport, identity: Identity): void {
    this.graph.connections.open(transport, identity);
  }

  /** Agents the coordination service holds signals for (benchmarks read it). */
  agentsTracked(): number {
    return this.graph.coordination.stats().agentsTracked;
  }

  /** Listen, start the sweeper, and log the "listening" line tests and scripts read. */
  async start(): Promise<{ port: number; url: string }> {
    const { stores, pool, leases } = this.graph;
    // Before anyone can connect: the queue and the attempts waiting for their agents, from the store.
    recoverFromStores(stores, { pool, leases, clock: this.graph.clock, logger: this.logger });
    stores.commit();
    const listening = this.http.listen();
    this.starting = listening;
    const bound = await listening;
    // Children connect over loopback even when the daemon listens on every interface.
    this.url = bound.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
    this.graph.coordinationSweep.start();
    this.graph.pool.start();
    this.respawn();
    this.graph.scaler.resume();
    this.graph.alerts.start();
    this.ready = true;
    // The listening line is part of the process contract: written whatever COORDD_LOG_LEVEL says.
    this.logger.child({}, { level: 'info' }).info({ port: bound.port, url: bound.url, host: this.config.host, store: stores.description }, 'listening');
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
    const { engine, pool, leases, scaler, spawner, coordinationSweep, breakers, alerts } = this.graph;
    // A signal during start(): let listen() finish so the server closes cleanly.
    await this.starting?.catch(() => undefined);
    this.ready = false;
    this.http.stopAccepting();
    // Waiting resource.acquire calls would otherwise hold the engine busy until the shutdown timeout.
    leases.stop();
    this.logger.info({ reason, inFlight: engine.pending() }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const [settled, drained] = await Promise.all([
      Promise.race([
        engine.whenIdle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs))),
      ]),
      pool.shutdown(this.config.shutdownTimeoutMs, { detach: this.graph.stores.description !== 'memory' }),
    ]);
    clearTimeout(timer);
    if (!settled) this.logger.warn({ inFlight: engine.pending() }, 'shutdown timeout: closing with calls still running');
    this.logger.info(drained, 'pool drained');
    scaler.shutdown();
    await scaler.idle();
    await spawner.stopAll(2000);
    coordinationSweep.stop();
    breakers.stop();
    alerts.stop();
    this.graph.turns.outbox?.flush();
    await this.outboxes.flushed();
    await this.http.close(CloseCode.GOING_AWAY, 'daemon shutting down');
    // Connections that came through connect() but not the HTTP server (an in-memory pair).
    this.graph.connections.closeAll(CloseCode.GOING_AWAY, 'daemon shutting down');
    await this.outboxes.flushed();
    this.closeStores();
    this.logger.info({}, 'stopped');
  }

  /** After a restart: start the workers the last pool.spawn / pool.despawn calls asked for (new processes, not the old ones). */
  private respawn(): void {
    for (const [template, count] of Object.entries(this.graph.stores.scaling.spawnCounts())) {
      this.logger.info({ template, count }, 'starting the spawned workers asked for before the restart');
      this.graph.spawner
        .spawn(count, template)
        .catch((err: unknown) => this.logger.warn({ err, template, count }, 'could not start the workers asked for before the restart'));
    }
  }

  /** Commit what is left and release the store's file (after the last message went out). */
  private closeStores(): void {
    const { turns, stores } = this.graph;
    turns.stop();
    turns.outbox?.flush();
    try {
      if (turns.outbox?.failed === undefined) stores.close();
    } catch (err) {
      this.logger.error({ err }, 'the store could not be closed cleanly; the next start recovers from the last commit');
    }
  }
}
