import type { Log } from '../../log.js';
import type { StreamLag } from '../../observability/cluster-metrics.js';
import { systemClock, type Clock, type TimerHandle } from '../../time/clock.js';
import type { Identity } from '../../transport/auth.js';
import type { Transport } from '../../transport/transport.js';
import { CloseCode } from '../../transport/ws-transport.js';
import { decodeIdentity } from './relayed-identity.js';
import {
  blockingConnection,
  compareIds,
  entryHead,
  firstStreamEntries,
  decodeEntries,
  idTime,
  type BlockingRedis,
  type DuplicableRedis,
  type EntryKind,
  type RelayEntry,
  type RelayFrame,
  type RelayKeys,
} from './relay-streams.js';
import { TurnEntries } from './turn-entries.js';
import { VirtualTransport, type VirtualTransportSink } from './virtual-transport.js';

/** What the inbox needs of the leader's core (cluster-core's LeaderCore). */
export interface LeaderCore {
  /** The term this core leads; entries of other terms are not its to handle. */
  readonly term: number;
  /** Serve one connection, as the HTTP server's accepted sockets are served. */
  connect(transport: Transport, identity: Identity): void;
  /** Resolves once everything the core did so far is committed to Redis (rejects if that commit failed). */
  committed(): Promise<void>;
  readonly redis: DuplicableRedis;
}

export interface LeaderInboxOptions {
  /** Entries per XREADGROUP. @defaultValue 500 */
  readCount: number;
  /** How long one XREADGROUP blocks waiting for entries. @defaultValue 1000 */
  blockMs: number;
  /** Approximate cap of each gateway's stream (MAXLEN ~). @defaultValue 10000 */
  gatewayMaxLen: number;
  /** A gateway stream not written for this long expires (its gateway is gone). @defaultValue 60000 */
  gatewayStreamTtlMs: number;
  /** Period of the upkeep: reclaim entries another consumer left pending this long, trim what was acknowledged. @defaultValue 5000 */
  upkeepMs: number;
}

export const DEFAULT_LEADER_INBOX_OPTIONS: Readonly<LeaderInboxOptions> = Object.freeze({
  readCount: 500,
  blockMs: 1000,
  gatewayMaxLen: 10_000,
  gatewayStreamTtlMs: 60_000,
  upkeepMs: 5000,
});

export interface LeaderInboxDeps {
  core: LeaderCore;
  keys: RelayKeys;
  /** This replica's consumer name in the group (its nodeId). */
  consumer: string;
  log: Log;
  clock?: Clock;
}

const key = (gatewayId: string, connId: string): string => `${gatewayId}\n${connId}`;

/**
 * The leader's end of the relay. It reads the calls stream through the consumer group `leader` on
 * its own blocking connection, gives the core one VirtualTransport per relayed (gateway,
 * connection), and appends what the core sends on them to that gateway's stream, tagged with its
 * term, one pipeline per event-loop turn. Entries are acknowledged once the core's commit covering
 * them resolved: a leader that dies first leaves them pending, and the next one reclaims them
 * (XAUTOCLAIM) and drops those of older terms.
 */
export class LeaderInbox implements VirtualTransportSink {
  private readonly options: LeaderInboxOptions;
  private readonly clock: Clock;
  private readonly term: number;
  private readonly transports = new Map<string, VirtualTransport>();
  /** Each gateway's entry of this turn, sent at the end of the turn. */
  private readonly outgoing = new TurnEntries<string>(
    (gatewayId) => entryHead(gatewayId, this.term),
    (entries) => this.flush(entries),
  );
  /** When each gateway stream's expiry was last pushed back (once per quarter of its TTL is enough). */
  private readonly expirySetAt = new Map<string, number>();
  /** Read and not yet acknowledged (a reclaim must not hand them over twice). */
  private readonly inHand = new Set<string>();
  private acks: Promise<unknown> = Promise.resolve();
  private blocking: BlockingRedis | undefined;
  private running = false;
  private reading: Promise<void> | undefined;
  private upkeepTimer: TimerHandle | undefined;
  /** Seen an entry of a newer term: another replica leads; stop acknowledging and trimming. */
  private superseded = false;
  private lastRead = '0-0';
  readonly stats = { handled: 0, dropped: 0, reclaimed: 0 };

  constructor(
    private readonly deps: LeaderInboxDeps,
    options: Partial<LeaderInboxOptions> = {},
  ) {
    this.options = { ...DEFAULT_LEADER_INBOX_OPTIONS, ...options };
    this.clock = deps.clock ?? systemClock;
    this.term = deps.core.term;
  }

  /** Create the group if need be, take over what a dead leader left, then read. */
  async start(): Promise<void> {
    const { core, keys } = this.deps;
    try {
      await core.redis.sendCommand(['XGROUP', 'CREATE', keys.calls, keys.group, '0', 'MKSTREAM']);
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.running = true;
    // Kept before it connects, so stop() can end a connect still retrying (Redis down).
    this.blocking = blockingConnection(core.redis, (err) => this.deps.log.debug({ err: err.message }, 'calls stream connection error'));
    await this.blocking.connect();
    if (!this.running) return;
    await this.reclaim(0);
    if (!this.running) return;
    this.reading = this.readLoop();
    this.upkeepTimer = this.clock.setInterval(() => void this.upkeep(), this.options.upkeepMs);
  }

  /** Stop reading and writing (deposed or shutting down); the core's owner closes its connections. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.upkeepTimer !== undefined) this.clock.clearInterval(this.upkeepTimer);
    try {
      this.blocking?.destroy();
    } catch {
      // Never connected: nothing to close.
    }
    await this.reading;
    this.outgoing.flush();
    await this.acks;
  }

  /** Relayed connections open now. */
  get connections(): number {
    return this.transports.size;
  }

  /** The gateways that relay at least one open connection. */
  gateways(): Set<string> {
    const out = new Set<string>();
    for (const t of this.transports.values()) out.add(t.gatewayId);
    return out;
  }

  /**
   * A gateway stopped heartbeating: its connections end as if their sockets dropped, with
   * REPLICA_LOST so their agents' attempts wait to be reattached from another replica.
   */
  gatewayLost(gatewayId: string): number {
    let n = 0;
    for (const t of [...this.transports.values()]) {
      if (t.gatewayId !== gatewayId) continue;
      t.ended(CloseCode.REPLICA_LOST, 'replica lost');
      n++;
    }
    this.outgoing.delete(gatewayId);
    this.expirySetAt.delete(gatewayId);
    if (n > 0) this.deps.log.warn({ gatewayId, connections: n }, 'gateway lost: its relayed connections are closed');
    return n;
  }

  /** Entries behind in the calls stream: delivered-but-unacknowledged plus not yet read, and the oldest pending one's age. */
  async lag(): Promise<StreamLag> {
    const { redis } = this.deps.core;
    const { calls, group } = this.deps.keys;
    const [groups, pending] = await Promise.all([redis.sendCommand(['XINFO', 'GROUPS', calls]), redis.sendCommand(['XPENDING', calls, group])]);
    const info = (Array.isArray(groups) ? (groups as unknown[]) : []).map(pairs).find((g) => g.name === group);
    const count = Array.isArray(pending) ? Number(pending[0]) : 0;
    const oldest = Array.isArray(pending) && pending[1] !== null && pending[1] !== undefined ? String(pending[1]) : undefined;
    const unread = Number(info?.lag ?? 0);
    return {
      entries: count + (Number.isFinite(unread) ? unread : 0),
      oldestPendingMs: oldest === undefined ? 0 : Math.max(0, this.clock.now() - idTime(oldest)),
    };
  }

  // ---- VirtualTransportSink ----------------------------------------------------------------------

  send(gatewayId: string, connId: string, text: string): void {
    this.queue(gatewayId, 'msg', connId, text);
  }

  close(gatewayId: string, connId: string, code: number, reason: string): void {
    this.queue(gatewayId, 'close', connId, JSON.stringify({ code, reason }));
  }

  ended(transport: VirtualTransport): void {
    const k = key(transport.gatewayId, transport.connId);
    if (this.transports.get(k) === transport) this.transports.delete(k);
  }

  // ---- reading -----------------------------------------------------------------------------------

  private async readLoop(): Promise<void> {
    const { keys, consumer } = this.deps;
    const args = [
      'XREADGROUP',
      'GROUP',
      keys.group,
      consumer,
      'COUNT',
      String(this.options.readCount),
      'BLOCK',
      String(this.options.blockMs),
      'STREAMS',
      keys.calls,
      '>',
    ];
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.blocking!.sendCommand(args);
      } catch (err) {
        if (!this.running) return;
        this.deps.log.warn({ err: (err as Error).message }, 'reading the calls stream failed; retrying');
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 100));
        continue;
      }
      if (this.running) this.handle(firstStreamEntries(reply));
    }
  }

  /** Reclaim entries pending on other consumers (a dead or deposed leader) idle at least `minIdleMs`. */
  private async reclaim(minIdleMs: number): Promise<void> {
    const { core, keys, consumer } = this.deps;
    let cursor = '0-0';
    do {
      const reply = await core.redis.sendCommand([
        'XAUTOCLAIM',
        keys.calls,
        keys.group,
        consumer,
        String(minIdleMs),
        cursor,
        'COUNT',
        String(this.options.readCount),
      ]);
      if (!Array.isArray(reply)) return;
      cursor = String(reply[0]);
      const entries = decodeEntries(reply[1]).filter((e) => !this.inHand.has(e.id));
      this.stats.reclaimed += entries.length;
      if (entries.length > 0) this.deps.log.info({ entries: entries.length }, 'reclaimed calls another leader left unacknowledged');
      this.handle(entries);
    } while (cursor !== '0-0' && this.running);
  }

  /** Periodically: reclaim what a deposed leader read after this one started; trim what every reader is done with. */
  private async upkeep(): Promise<void> {
    if (!this.running) return;
    try {
      await this.reclaim(this.options.upkeepMs);
      if (this.superseded) return;
      const { redis } = this.deps.core;
      const { calls, group } = this.deps.keys;
      const pending = await redis.sendCommand(['XPENDING', calls, group]);
      const oldest = Array.isArray(pending) && Number(pending[0]) > 0 ? String(pending[1]) : this.lastRead;
      if (oldest !== '0-0') await redis.sendCommand(['XTRIM', calls, 'MINID', '~', oldest]);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'calls stream upkeep failed');
    }
  }

  private handle(entries: readonly RelayEntry[]): void {
    const ack: string[] = [];
    for (const e of entries) {
      if (this.inHand.has(e.id)) continue;
      if (compareIds(e.id, this.lastRead) > 0) this.lastRead = e.id;
      if (e.t > this.term) {
        // A newer leader exists: leave the entry pending for it to reclaim.
        if (!this.superseded) this.deps.log.warn({ term: this.term, entryTerm: e.t }, 'calls of a newer term: another replica leads');
        this.superseded = true;
        continue;
      }
      this.inHand.add(e.id);
      ack.push(e.id);
      if (e.t < this.term) {
        this.stats.dropped += e.frames.length;
        continue;
      }
      this.stats.handled += e.frames.length;
      this.apply(e);
    }
    if (ack.length > 0) this.acknowledge(ack);
  }

  private apply(e: RelayEntry): void {
    for (const f of e.frames) this.applyFrame(e.g, f);
  }

  private applyFrame(g: string, f: RelayFrame): void {
    const k = key(g, f.c);
    if (f.k === 'msg') {
      const transport = this.transports.get(k);
      if (transport) transport.deliver(f.d ?? '');
      // Its open was of another leader's term (or lost): the gateway must drop the socket.
      else this.close(g, f.c, CloseCode.SERVICE_RESTART, 'unknown connection; reconnect');
    } else if (f.k === 'open') {
      if (this.transports.has(k)) return;
      const identity = decodeIdentity(f.i);
      if (!identity) {
        this.deps.log.warn({ gatewayId: g, connectionId: f.c }, 'relayed open without a valid identity; closing it');
        this.close(g, f.c, CloseCode.POLICY_VIOLATION, 'no valid identity');
        return;
      }
      const transport = new VirtualTransport(g, f.c, this);
      this.transports.set(k, transport);
      this.deps.core.connect(transport, identity);
    } else if (f.k === 'close') {
      const { code, reason } = parseClose(f.d);
      this.transports.get(k)?.ended(code, reason);
    }
  }

  /** XACK once the core's commit after these entries resolved (in order). A failed commit leaves them pending for the next leader. */
  private acknowledge(ids: string[]): void {
    const { core, keys } = this.deps;
    const committed = core.committed();
    this.acks = Promise.all([committed, this.acks])
      .then(() => (this.superseded ? undefined : core.redis.sendCommand(['XACK', keys.calls, keys.group, ...ids])))
      .catch((err: unknown) =>
        this.deps.log.warn({ err: (err as Error)?.message, entries: ids.length }, 'calls not acknowledged; the next leader reclaims them'),
      )
      .finally(() => {
        for (const id of ids) this.inHand.delete(id);
      });
  }

  // ---- writing -----------------------------------------------------------------------------------

  private queue(gatewayId: string, k: EntryKind, connId: string, d: string): void {
    this.outgoing.push(gatewayId, k, connId, d);
  }

  /** One pipeline for the turn: one entry per gateway holding its frames in order (and, now and then, its stream's expiry pushed back). */
  private flush(entries: Map<string, string[]>): void {
    const { redis } = this.deps.core;
    const maxLen = String(this.options.gatewayMaxLen);
    const ttl = String(this.options.gatewayStreamTtlMs);
    const now = this.clock.now();
    const writes: Promise<unknown>[] = [];
    for (const [gatewayId, fields] of entries) {
      const stream = this.deps.keys.gateway(gatewayId);
      writes.push(redis.sendCommand(['XADD', stream, 'MAXLEN', '~', maxLen, '*', ...fields]));
      if (now - (this.expirySetAt.get(gatewayId) ?? -Infinity) < this.options.gatewayStreamTtlMs / 4) continue;
      this.expirySetAt.set(gatewayId, now);
      writes.push(redis.sendCommand(['PEXPIRE', stream, ttl]));
    }
    Promise.all(writes).catch((err: unknown) => this.deps.log.warn({ err: (err as Error)?.message }, 'writing to a gateway stream failed'));
  }
}

/** A flat `[k, v, k, v…]` reply as an object. */
function pairs(raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(raw)) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1];
  return out;
}

function parseClose(d: string | undefined): { code: number; reason: string } {
  try {
    const { code, reason } = JSON.parse(d ?? '{}') as { code?: unknown; reason?: unknown };
    return { code: typeof code === 'number' ? code : 1006, reason: typeof reason === 'string' ? reason : '' };
  } catch {
    return { code: 1006, reason: '' };
  }
}
