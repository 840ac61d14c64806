import type { Log } from '../log.js';
import type { ClusterNode, ClusterStatus } from '../schemas/cluster.js';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.js';
import type { RelayRedis } from './relay/relay-streams.js';

/** What a replica announces in the `nodes` hash (one JSON field per nodeId). */
export interface NodeAnnouncement {
  url: string;
  agents: number;
  /** Wall-clock ms of the heartbeat. */
  seen: number;
  gatewayId: string;
}

export interface MembershipDeps {
  redis: RelayRedis;
  nodeId: string;
  gatewayId: string;
  /** The URL others name this replica by (COORDD_CLUSTER_ADVERTISE_URL, else its listening URL). */
  url: () => string;
  /** Agent connections this replica holds, relayed or local. */
  agents: () => number;
  log: Log;
  clock?: Clock;
}

export interface MembershipOptions {
  /** Key prefix (config.cluster.prefix). @defaultValue '{coordd}:' */
  prefix: string;
  /** A replica whose `node:<id>` key is this old is gone; heartbeats come every third of it. @defaultValue 5000 */
  nodeTtlMs: number;
}

/**
 * Cluster membership in Redis: each replica heartbeats `node:<nodeId>` (PX nodeTtlMs, every third
 * of it) and its entry in the `nodes` hash. A replica is alive while its key is; cluster.status
 * lists the live ones, and the leader treats a gateway whose key expired as lost (GatewayWatch).
 */
export class Membership {
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private failing = false;
  private readonly keys: { nodes: string; node: (id: string) => string; leader: string; term: string };

  constructor(
    private readonly deps: MembershipDeps,
    private readonly options: MembershipOptions,
  ) {
    this.clock = deps.clock ?? systemClock;
    const p = options.prefix;
    this.keys = { nodes: `${p}nodes`, node: (id) => `${p}node:${id}`, leader: `${p}leader`, term: `${p}term` };
  }

  /**
   * Announce this replica, then keep announcing it every third of nodeTtlMs. A heartbeat that fails
   * (Redis not reachable yet, or gone) is logged once and retried at the next tick.
   */
  async start(): Promise<void> {
    // Until the first heartbeat lands, a failure is the node still joining Redis: not worth a warning.
    let joined = false;
    const beat = (): Promise<void> =>
      this.heartbeat().then(
        () => {
          this.failing = false;
          joined = true;
        },
        (err: unknown) => {
          const message = (err as Error)?.message;
          if (!joined) this.deps.log.debug({ err: message }, 'membership: Redis not reachable yet; announcing this replica at the next tick');
          else if (!this.failing) this.deps.log.warn({ err: message }, 'membership heartbeat failed (logged once until one succeeds)');
          this.failing = joined;
        },
      );
    this.timer = this.clock.setInterval(() => void beat(), Math.max(1, Math.floor(this.options.nodeTtlMs / 3)));
    await beat();
  }

  /** Leave: stop heartbeating and remove this replica's entries (others see it gone at once). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    const { redis, nodeId } = this.deps;
    await Promise.all([redis.sendCommand(['DEL', this.keys.node(nodeId)]), redis.sendCommand(['HDEL', this.keys.nodes, nodeId])]).catch(() => undefined);
  }

  /** One heartbeat: the TTL key and the hash entry, pipelined. */
  async heartbeat(): Promise<void> {
    const { redis, nodeId, gatewayId } = this.deps;
    const seen = this.clock.now();
    const entry: NodeAnnouncement = { url: this.deps.url(), agents: this.deps.agents(), seen, gatewayId };
    await Promise.all([
      redis.sendCommand(['SET', this.keys.node(nodeId), String(seen), 'PX', String(this.options.nodeTtlMs)]),
      redis.sendCommand(['HSET', this.keys.nodes, nodeId, JSON.stringify(entry)]),
    ]);
  }

  /** The replicas whose heartbeat key is still alive, with their announcements. Dead entries are pruned from the hash. */
  async live(): Promise<Map<string, NodeAnnouncement>> {
    const { redis } = this.deps;
    const raw = await redis.sendCommand(['HGETALL', this.keys.nodes]);
    const entries = new Map<string, NodeAnnouncement>();
    const flat = Array.isArray(raw) ? (raw as unknown[]) : Object.entries((raw ?? {}) as Record<string, unknown>).flat();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const parsed = parseAnnouncement(String(flat[i + 1]));
      if (parsed) entries.set(String(flat[i]), parsed);
    }
    const ids = [...entries.keys()];
    const alive = await Promise.all(ids.map((id) => redis.sendCommand(['EXISTS', this.keys.node(id)])));
    const dead = ids.filter((_, i) => Number(alive[i]) === 0);
    for (const id of dead) entries.delete(id);
    if (dead.length > 0) await redis.sendCommand(['HDEL', this.keys.nodes, ...dead]).catch(() => undefined);
    return entries;
  }

  /** cluster.status, read from Redis by whichever replica is asked. */
  async status(): Promise<ClusterStatus> {
    const { redis, nodeId } = this.deps;
    const [live, leaderId, term] = await Promise.all([this.live(), redis.sendCommand(['GET', this.keys.leader]), redis.sendCommand(['GET', this.keys.term])]);
    const now = this.clock.now();
    const leader = typeof leaderId === 'string' ? leaderId : undefined;
    const nodes: ClusterNode[] = [...live.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, a]) => ({ nodeId: id, url: a.url, leader: id === leader, lastSeenMs: Math.max(0, now - a.seen), agents: a.agents }));
    return { nodeId, ...(leader !== undefined && { leaderId: leader }), term: Number(term ?? 0) || 0, nodes };
  }
}

function parseAnnouncement(text: string): NodeAnnouncement | undefined {
  try {
    const v = JSON.parse(text) as Partial<NodeAnnouncement>;
    if (typeof v.url !== 'string' || typeof v.seen !== 'number' || typeof v.gatewayId !== 'string') return undefined;
    return { url: v.url, agents: typeof v.agents === 'number' ? v.agents : 0, seen: v.seen, gatewayId: v.gatewayId };
  } catch {
    return undefined;
  }
}

/**
 * On the leader: every third of nodeTtlMs, the gateways relaying connections whose replica's key
 * has expired are lost (their connections end as if the sockets dropped).
 */
export class GatewayWatch {
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly deps: {
      membership: Pick<Membership, 'live'>;
      /** The gateways the leader relays connections for now. */
      relayed: () => Set<string>;
      lost: (gatewayId: string) => void;
      log: Log;
      clock?: Clock;
    },
    private readonly options: { nodeTtlMs: number },
  ) {
    this.clock = deps.clock ?? systemClock;
  }

  start(): void {
    this.timer = this.clock.setInterval(() => void this.check(), Math.max(1, Math.floor(this.options.nodeTtlMs / 3)));
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check; resolves with the gateways found lost. */
  async check(): Promise<string[]> {
    const relayed = this.deps.relayed();
    if (relayed.size === 0) return [];
    let live: Map<string, NodeAnnouncement>;
    try {
      live = await this.deps.membership.live();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error)?.message }, 'membership could not be read; no gateway declared lost');
      return [];
    }
    const alive = new Set([...live.values()].map((a) => a.gatewayId));
    const lost = [...relayed].filter((g) => !alive.has(g));
    for (const g of lost) this.deps.lost(g);
    return lost;
  }
}
