import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { AppErrors } from '../errors.js';
import { uuid, type IdGenerator } from '../ids.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { systemRandom, type Random } from '../random.js';
import type { AgentTemplate } from '../spawn/templates.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { TlsMaterial } from '../tls-files.js';
import { TokenTable, type Identity } from '../transport/auth.js';
import { configuredHttpServer } from '../transport/configured-http-server.js';
import type { HttpServer } from '../transport/http-server.js';
import type { Transport } from '../transport/transport.js';
import { CloseCode } from '../transport/ws-transport.js';
import { httpMetrics } from '../wiring/metrics-wiring.js';
import type { ClusterOptions } from './cluster-options.js';
import { clusterKeys, type ClusterKeys } from './cluster-keys.js';
import { ClusterCore } from './leader-core.js';
import { Leadership } from './leadership.js';
import { createRedisConnection, redactedUrl, type RedisConnection } from './redis-connection.js';
import { refuseEveryCall } from './refusing-connection.js';
import type { ClusterRelay, LeaderInfo, RelayFactory } from './relay-ports.js';

export interface ClusterNodeDeps {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  ids?: IdGenerator;
  tokens?: TokenTable;
  templates?: ReadonlyMap<string, AgentTemplate>;
  validateResults?: boolean;
  tls?: TlsMaterial;
  /** The frame relay (cluster-relay): without it a follower closes new connections with 1013. */
  relay?: RelayFactory;
}

/** A generated replica name: `node-` and 8 hex digits. */
export function generatedNodeId(): string {
  return `node-${randomBytes(4).toString('hex')}`;
}

/**
 * One replica in cluster mode (COORDD_STORE=redis://…). Its HTTP/WebSocket server is always up:
 * every replica is a gateway. The Leadership loop decides its role: when elected it rebuilds the
 * leader core from Redis and serves its local connections on it directly; when deposed (lease
 * lost, a commit refused or failed) it discards the core, closes that core's connections with
 * 1012 and is a follower again, whose connections go to the relay (or are closed with 1013 while
 * no relay is plugged in). A Redis that lost its data stops it: every call then gets
 * CLUSTER_STATE_LOST and /readyz says 503.
 */
export class ClusterNode {
  readonly logger: Logger;
  readonly nodeId: string;
  readonly options: Readonly<ClusterOptions>;
  /** The store as logs and pool.status name it (no password). */
  readonly description: string;
  private readonly clock: Clock;
  private readonly keys: ClusterKeys;
  private readonly redis: RedisConnection;
  private readonly leadership: Leadership;
  private readonly http: HttpServer;
  private readonly metrics = new Metrics();
  /** The relay's cluster metrics, served with the core's (or, on a follower, the node's) metrics. */
  private readonly clusterRegistry = new Registry();
  /** One table for every core this replica builds (spawned workers' join tokens go in it). */
  private readonly tokens: TokenTable;
  private relay: ClusterRelay | undefined;
  private core: ClusterCore | undefined;
  private url = '';
  private stopping: Promise<void> | undefined;
  private redisErrorLogged = false;

  constructor(
    readonly config: Config,
    private readonly deps: ClusterNodeDeps = {},
  ) {
    if (config.store.kind !== 'redis') throw new Error('ClusterNode needs COORDD_STORE=redis://…');
    this.logger = deps.logger ?? createLogger(config.logLevel);
    this.clock = deps.clock ?? systemClock;
    this.options = config.cluster;
    this.nodeId = config.cluster.nodeId ?? generatedNodeId();
    this.description = redactedUrl(config.store.url);
    this.keys = clusterKeys(config.cluster.prefix);
    this.redis = createRedisConnection(config.store.url, (err) => this.redisError(err));
    this.leadership = new Leadership(
      {
        redis: this.redis,
        clock: this.clock,
        logger: this.logger.child({ component: 'leadership' }),
        keys: this.keys,
        events: {
          elected: (term) => void this.elected(term),
          deposed: (reason) => this.deposed(reason),
          leaderChanged: (leader) => this.leaderChanged(leader),
          stateLost: (expected, found) => this.stateLost(expected, found),
        },
      },
      { nodeId: this.nodeId, leaseMs: config.cluster.leaseMs },
    );
    const tokens = (this.tokens = deps.tokens ?? new TokenTable([]));
    this.http = configuredHttpServer(
      config,
      {
        clock: this.clock,
        log: this.logger,
        ids: deps.ids ?? uuid,
        tokens,
        metrics: async () => {
          const registry = (this.core?.graph.metrics ?? this.metrics).registry;
          const [body, cluster] = await Promise.all([registry.metrics(), this.clusterRegistry.metrics()]);
          return { contentType: registry.contentType, body: cluster ? `${body}${body.endsWith('\n') ? '' : '\n'}${cluster}` : body };
        },
        isReady: () => this.ready(),
        onConnection: (t, identity) => this.connect(t, identity),
        ...httpMetrics(this.metrics),
      },
      deps.tls,
    );
  }

  /** The leader as this replica sees it. */
  get leader(): LeaderInfo | undefined {
    return this.leadership.leader;
  }

  /** Whether this replica leads and its core is serving. */
  get leading(): boolean {
    return this.core !== undefined;
  }

  /**
   * Listen (the HTTP server is up whatever Redis does: /readyz says 503 until a leader is known),
   * plug the relay in, then connect to Redis and join the leadership loop in the background.
   */
  async start(): Promise<{ port: number; url: string }> {
    const bound = await this.http.listen();
    this.url = bound.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
    this.relay = this.deps.relay?.({
      nodeId: this.nodeId,
      redis: this.redis,
      options: this.options,
      logger: this.logger.child({ component: 'relay' }),
      clock: this.clock,
      registry: this.clusterRegistry,
      url: () => this.options.advertiseUrl ?? this.url,
    });
    this.logger.child({}, { level: 'info' }).info(
      {
        port: bound.port,
        url: bound.url,
        host: this.config.host,
        store: this.description,
        nodeId: this.nodeId,
        generatedNodeId: this.config.cluster.nodeId === undefined,
      },
      'listening',
    );
    void this.join();
    return bound;
  }

  /** Connect to Redis and start the leadership loop, retrying (every lease/3) while Redis cannot be reached. */
  private async join(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!this.redis.isOpen) await this.redis.connect();
        await this.leadership.start();
        return;
      } catch (err) {
        this.redisError(err as Error);
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.max(100, this.options.leaseMs / 3)));
      }
    }
  }

  /** Serve one connection: on the leader's core, through the relay, or refused (state lost, no leader here and no relay). */
  connect(transport: Transport, identity: Identity): void {
    const lost = this.leadership.stateLost;
    if (lost) {
      const { code, message } = AppErrors.CLUSTER_STATE_LOST;
      return refuseEveryCall(transport, { code, message, data: { expectedEpoch: lost.expectedEpoch, foundEpoch: lost.foundEpoch ?? null } });
    }
    if (this.core) {
      this.core.port.connect(transport, identity);
      return this.relay?.served?.(transport, identity);
    }
    if (this.relay) return this.relay.gateway.open(transport, identity);
    this.logger.info({ connectionId: transport.id, leader: this.leadership.leader }, 'not the leader and no relay to it: closing with 1013 (try again later)');
    transport.close(CloseCode.TRY_AGAIN_LATER, 'this replica is not the leader; try again later');
  }

  /** Graceful stop: the leader commits its last turn and frees its lease; sockets close with 1001. */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.logger.info({ reason, leader: this.core !== undefined }, 'shutting down');
    this.http.stopAccepting();
    const core = this.core;
    this.core = undefined;
    if (core) {
      this.relay?.detach(core.port);
      await core.stop();
    }
    // Still trying to reach Redis: give up (destroying the client ends its reconnecting).
    if (!this.redis.isReady && this.redis.isOpen) this.redis.destroy();
    await this.leadership.stop();
    await this.relay?.gateway.close();
    await this.http.close(CloseCode.GOING_AWAY, 'daemon shutting down');
    if (this.redis.isOpen) this.redis.destroy();
    this.logger.info({}, 'stopped');
  }

  private ready(): boolean {
    if (this.stopping || this.leadership.stateLost) return false;
    if (this.core) return this.core.graph.turns.outbox?.failed === undefined;
    return this.leadership.leader !== undefined && this.relay !== undefined;
  }

  private async elected(term: number): Promise<void> {
    try {
      await this.lead(term);
    } catch (err) {
      this.logger.error({ err: { message: (err as Error)?.message }, term }, 'could not rebuild the leader core from Redis: stepping down');
      this.leadership.stepDown('rebuild failed');
    }
  }

  /** Build the core for `term` and serve on it, unless deposed (or stopping) meanwhile. */
  private async lead(term: number): Promise<void> {
    if (this.stopping) return;
    const core = await ClusterCore.build(term, this.leadership.epoch!, {
      config: this.config,
      logger: this.logger,
      clock: this.clock,
      random: this.deps.random ?? systemRandom,
      ids: this.deps.ids ?? uuid,
      tokens: this.tokens,
      templates: this.deps.templates,
      validateResults: this.deps.validateResults ?? false,
      redis: this.redis,
      keys: this.keys,
      url: () => this.url,
      description: this.description,
      failed: (why) => this.leadership.stepDown(why),
      leaseValid: () => this.leadership.leaseValid(),
    });
    if (this.leadership.term !== term || this.stopping) {
      core.discard('deposed while loading');
      return;
    }
    this.core = core;
    core.start();
    this.logger.info({ term, nodeId: this.nodeId }, 'serving as leader');
    this.relay?.attach(core.port);
  }

  private deposed(reason: string): void {
    const core = this.core;
    this.core = undefined;
    if (!core) return;
    this.relay?.detach(core.port);
    core.discard(reason);
    this.logger.warn({ reason, term: core.term }, 'leader core discarded: connections closed with 1012; following');
  }

  private leaderChanged(leader: LeaderInfo | undefined): void {
    this.logger.info({ leader }, 'leader changed');
    this.relay?.gateway.leaderChanged(leader);
  }

  private stateLost(expectedEpoch: string, foundEpoch: string | undefined): void {
    this.logger.error(
      { expectedEpoch, foundEpoch: foundEpoch ?? null, store: this.description },
      'Redis lost the cluster state (the epoch key is missing or different): refusing every call with CLUSTER_STATE_LOST and not ready; restore Redis from its AOF or restart the replicas to start a new cluster',
    );
    this.deposed('cluster state lost');
  }

  private redisError(err: Error): void {
    if (this.redisErrorLogged) return;
    this.redisErrorLogged = true;
    this.logger.warn({ err: { message: err.message }, store: this.description }, 'Redis connection error (logged once; reconnecting)');
    this.redis.once('ready', () => {
      this.redisErrorLogged = false;
    });
  }
}
