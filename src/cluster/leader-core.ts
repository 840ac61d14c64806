import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { IdGenerator } from '../ids.js';
import type { Random } from '../random.js';
import type { AgentTemplate } from '../spawn/templates.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Identity, TokenTable } from '../transport/auth.js';
import type { Transport } from '../transport/transport.js';
import { CloseCode } from '../transport/ws-transport.js';
import { buildDaemonGraph, type DaemonGraph } from '../wiring/daemon-graph.js';
import { recoverFromStores } from '../wiring/stores.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisStores } from './redis-stores.js';
import type { LeaderCore } from './relay-ports.js';

/** WebSocket close code 1012: service restart (the leader stepped down; reconnect, to any replica). */
export const SERVICE_RESTART = 1012;

export interface LeaderCoreDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  random: Random;
  ids: IdGenerator;
  tokens: TokenTable;
  templates?: ReadonlyMap<string, AgentTemplate>;
  validateResults: boolean;
  redis: RedisConnection;
  keys: ClusterKeys;
  /** The replica's own URL (spawned workers connect back to it). */
  url: () => string;
  description: string;
  /** A commit failed or was refused: the node steps down. */
  failed: (reason: string) => void;
  /** Whether the lease is still running by the local clock (checked before every commit). */
  leaseValid: () => boolean;
}

/**
 * The leader's core: today's whole daemon graph (pool, router, leases, conversations, engine) on
 * Redis-journaled stores, rebuilt from Redis when this replica is elected and thrown away when it
 * is deposed (its memory may then be ahead of Redis, so nothing of it is kept).
 */
export class ClusterCore {
  readonly graph: DaemonGraph;
  readonly port: LeaderCore;
  private discarded = false;

  private constructor(
    readonly stores: RedisStores,
    readonly term: number,
    private readonly deps: LeaderCoreDeps,
  ) {
    const { config, logger, clock, random, ids, tokens, templates, validateResults, url } = deps;
    this.graph = buildDaemonGraph(config, { logger, clock, random, ids, tokens, stores, templates, validateResults, url });
    // After the turn outbox has answered the failed turn (its replies reach the sockets before the 1012 close).
    stores.onFailure((error) => {
      setImmediate(() => {
        if (!this.discarded) deps.failed(`commit ${error.code === 'FENCED' ? 'refused' : 'failed'}: ${error.message}`);
      });
    });
    const graph = this.graph;
    this.port = {
      term,
      connect: (transport: Transport, identity: Identity) => graph.connections.open(transport, identity),
      committed: () => graph.turns.outbox!.committed(),
      redis: deps.redis,
      engine: graph.engine,
      metrics: graph.metrics,
    };
  }

  /** Load everything from Redis, rebuild the queue and waiting attempts (issue 11's recovery), commit that, start the timers. */
  static async build(term: number, epoch: string, deps: LeaderCoreDeps): Promise<ClusterCore> {
    const started = deps.clock.elapsed();
    const { config, redis, keys, clock } = deps;
    const stores = await RedisStores.load(
      { redis, keys, clock, term, epoch, description: deps.description, leaseValid: deps.leaseValid },
      { tasks: { retentionMs: config.pool.retentionMs, retentionCount: config.pool.retentionCount } },
    );
    const loadedMs = Math.round(deps.clock.elapsed() - started);
    const core = new ClusterCore(stores, term, deps);
    const { pool, leases } = core.graph;
    const recovered = recoverFromStores(stores, { pool, leases, clock, logger: deps.logger });
    await stores.commit();
    deps.logger.info(
      { term, tasks: stores.tasks.size(), ...recovered, loadedMs, ms: Math.round(deps.clock.elapsed() - started) },
      'leader core rebuilt from Redis',
    );
    return core;
  }

  /** Start the sweeper, the pool's monitor, the alerts, and the workers the spawn counts ask for. */
  start(): void {
    const { graph } = this;
    graph.coordinationSweep.start();
    graph.pool.start();
    graph.alerts.start();
    for (const [template, count] of Object.entries(graph.stores.scaling.spawnCounts())) {
      graph.spawner.spawn(count, template).catch((err: unknown) => this.deps.logger.warn({ err, template, count }, 'could not start the workers asked for'));
    }
    // Timer-driven scaling that ran under the last leader runs again under this one.
    graph.scaler.resume();
  }

  /** Deposed: stop everything, commit nothing more, close the core's connections with 1012. */
  discard(reason: string): void {
    if (this.discarded) return;
    this.discarded = true;
    const { graph } = this;
    this.stores.close();
    this.stopTimers();
    graph.pool.stop();
    graph.spawner.stopAll(2000).catch(() => undefined);
    graph.connections.closeAll(SERVICE_RESTART, `the leader stepped down (${reason}); reconnect`);
  }

  /**
   * Graceful stop (SIGTERM on the leader): let running calls settle (bounded), keep running
   * attempts IN_PROGRESS for their agents to reattach to the next leader, commit the last turn.
   */
  async stop(): Promise<void> {
    const { graph, deps } = this;
    graph.leases.stop();
    let timer: TimerHandle | undefined;
    await Promise.race([graph.engine.whenIdle(), new Promise<void>((resolve) => (timer = deps.clock.setTimeout(resolve, deps.config.shutdownTimeoutMs)))]);
    if (timer !== undefined) deps.clock.clearTimeout(timer);
    await graph.pool.shutdown(deps.config.shutdownTimeoutMs, { detach: true });
    this.stopTimers();
    await graph.spawner.stopAll(2000);
    await graph.turns.outbox?.committed().catch(() => undefined);
    this.discarded = true;
    this.stores.close();
    graph.connections.closeAll(CloseCode.GOING_AWAY, 'daemon shutting down');
    await graph.outboxes.flushed();
  }

  private stopTimers(): void {
    const { graph } = this;
    graph.turns.stop();
    graph.leases.stop();
    // Not stop(): that would record auto-scaling as stopped, and the next leader must resume it.
    graph.scaler.shutdown();
    graph.coordinationSweep.stop();
    graph.breakers.stop();
    graph.alerts.stop();
  }
}
