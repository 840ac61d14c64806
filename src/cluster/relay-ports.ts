import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import type { RpcEngine } from '../rpc/engine.js';
import type { Clock } from '../time/clock.js';
import type { Identity } from '../transport/auth.js';
import type { Transport } from '../transport/transport.js';
import type { ClusterOptions } from './cluster-options.js';
import type { RedisConnection } from './redis-connection.js';

/** Who leads the cluster, as a replica last saw it. */
export interface LeaderInfo {
  nodeId: string;
  term: number;
}

/**
 * The leader's core as the relay sees it while this replica leads: connect a virtual connection
 * to it, wait for what it was handed to be committed (then XACK), and the Redis client it commits on.
 */
export interface LeaderCore {
  readonly term: number;
  /** Serve one connection on the core (as Daemon.connect does). */
  connect(transport: Transport, identity: Identity): void;
  /** Resolves once everything the core has sent or written so far is committed; rejects when the commit failed (the core is then going away). */
  committed(): Promise<void>;
  /** The node's command connection (use `redis.duplicate()` for blocking reads). */
  readonly redis: RedisConnection;
  /** The core's RPC engine (to register cluster.status on it) and its metrics. */
  readonly engine: RpcEngine;
  readonly metrics: Metrics;
}

/** A follower's local connections go here: relayed frame by frame to the leader. */
export interface GatewayPort {
  open(transport: Transport, identity: Identity): void;
  /** The leader changed (or none is known): answer what was forwarded and is unanswered, close relayed connections with 1012. */
  leaderChanged(leader: LeaderInfo | undefined): void;
  close(): Promise<void>;
}

/** What the ClusterNode gives the relay when it builds it. */
export interface RelayContext {
  readonly nodeId: string;
  readonly redis: RedisConnection;
  readonly options: Readonly<ClusterOptions>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The replica's own registry for the cluster metrics (coordd_cluster_*): it outlives every leader core and /metrics always includes it. */
  readonly registry: Registry;
  /** This replica's URL once it listens (advertiseUrl or the listening URL). */
  url(): string;
  /** The replica's own metrics (served by /metrics while it follows; cluster metrics are added to it). */
  readonly metrics: Metrics;
}

/** The relay plugged into a ClusterNode: a gateway for every replica, and the leader's side while this one leads. */
export interface ClusterRelay {
  readonly gateway: GatewayPort;
  /** This replica became leader and its core is built (recovered from Redis, serving). */
  attach(core: LeaderCore): void;
  /** That core is gone (deposed, commit refused, Redis failed, shutting down): stop feeding it. */
  detach(core: LeaderCore): void;
  /** A local connection this replica's own core serves (it leads): counted in membership until it closes. */
  served?(transport: Transport, identity: Identity): void;
}

export type RelayFactory = (context: RelayContext) => ClusterRelay;
