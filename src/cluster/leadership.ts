import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { ClusterKeys } from './cluster-keys.js';
import { LuaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import type { LeaderInfo } from './relay-ports.js';

/** What a replica hears from its Leadership. */
export interface LeadershipEvents {
  /** This replica now leads with `term` (higher than any term before it). */
  elected(term: number): void;
  /** This replica led and no longer does (lease lost, renewal failed, or stepDown()). */
  deposed(reason: string, leader: LeaderInfo | undefined): void;
  /** The leader as this replica sees it changed (itself included); undefined while none is known. */
  leaderChanged(leader: LeaderInfo | undefined): void;
  /** Redis no longer holds the epoch this replica saw: it lost the cluster's data. */
  stateLost(expectedEpoch: string, foundEpoch: string | undefined): void;
}

export interface LeadershipOptions {
  nodeId: string;
  /** The lease's TTL in Redis; renewed (or, by followers, polled) every third of it. */
  leaseMs: number;
}

export interface LeadershipDeps {
  redis: RedisConnection;
  clock: Clock;
  logger: Logger;
  keys: ClusterKeys;
  events: Partial<LeadershipEvents>;
  /** A fresh epoch id. @defaultValue a random UUID */
  newEpoch?: () => string;
}

// Epoch first: a Redis that lost its data must never elect anyone from nothing.
const ACQUIRE = new LuaScript(`
local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then return {'LOST', epoch or ''} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {'ELECTED', tostring(redis.call('INCR', KEYS[3]))}
end
return {'FOLLOW', redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '0'}
`);

// Renews only a lease that still names this node in the term it was won in.
const RENEW = new LuaScript(`
local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then return {'LOST', epoch or ''} end
local term = redis.call('GET', KEYS[3]) or '0'
if redis.call('GET', KEYS[2]) == ARGV[2] and term == ARGV[4] then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {'RENEWED', term}
end
return {'FOLLOW', redis.call('GET', KEYS[2]) or '', term}
`);

const RESIGN = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * The leader lease of one replica: `SET leader <nodeId> NX PX leaseMs` plus `INCR term` on each
 * new leadership, renewed every leaseMs/3 by a script that renews only its own lease. Followers
 * poll the same way (and take the lease when it is free). The term is the fencing token the
 * commit script checks, so a deposed leader that has not noticed yet still cannot write.
 *
 * The epoch: a random id SET NX at first start and remembered; when Redis later holds none or
 * another, it lost the cluster's data, and this replica stops (stateLost) instead of starting
 * from nothing.
 */
export class Leadership {
  private ownTerm: number | undefined;
  private known: LeaderInfo | undefined;
  private seenEpoch: string | undefined;
  private lostState: { expectedEpoch: string; foundEpoch: string | undefined } | undefined;
  private timer: TimerHandle | undefined;
  private ticking: Promise<void> | undefined;
  private lastRenewed = 0;
  private lastReached = 0;
  private unreachable = false;
  private stopped = false;
  private readonly interval: number;

  constructor(
    private readonly deps: LeadershipDeps,
    readonly options: Readonly<LeadershipOptions>,
  ) {
    this.interval = Math.max(10, Math.floor(options.leaseMs / 3));
  }

  /** This replica's term while it leads. */
  get term(): number | undefined {
    return this.ownTerm;
  }

  get isLeader(): boolean {
    return this.ownTerm !== undefined;
  }

  /**
   * Whether this replica's lease is certainly still running, by its own clock: false once a lease
   * time has passed since the last renewal was sent (a process paused past its lease, e.g. by
   * SIGSTOP or a long GC, must not answer even a read before it has checked with Redis).
   */
  leaseValid(): boolean {
    return this.ownTerm !== undefined && this.deps.clock.now() - this.lastRenewed < this.options.leaseMs;
  }

  /** The leader as last seen (this replica included). */
  get leader(): LeaderInfo | undefined {
    return this.known;
  }

  /** The epoch this replica saw at start. */
  get epoch(): string | undefined {
    return this.seenEpoch;
  }

  /** Set once Redis was found without the epoch this replica saw. */
  get stateLost(): { expectedEpoch: string; foundEpoch: string | undefined } | undefined {
    return this.lostState;
  }

  /** Read (or create) the epoch, try for the lease once, then keep renewing or polling. */
  async start(): Promise<void> {
    const { redis, keys } = this.deps;
    await redis.set(keys.epoch, (this.deps.newEpoch ?? randomUUID)(), { condition: 'NX' });
    this.seenEpoch = (await redis.get(keys.epoch)) ?? undefined;
    if (this.seenEpoch === undefined) throw new Error('the epoch key vanished right after it was written');
    this.lastReached = this.deps.clock.now();
    await this.tick();
    if (!this.stopped && !this.lostState) this.timer = this.deps.clock.setInterval(() => void this.tick(), this.interval);
  }

  /** One renewal (leader) or poll (follower). Exposed for tests; the timer calls it. */
  tick(): Promise<void> {
    this.ticking ??= this.doTick().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Give up leadership now (a commit was refused or failed): deposed fires, the lease is freed if still ours. */
  stepDown(reason: string): void {
    if (this.ownTerm === undefined) return;
    this.ownTerm = undefined;
    this.deps.logger.warn({ reason }, 'stepping down as leader');
    RESIGN.run(this.deps.redis, [this.deps.keys.leader], [this.options.nodeId]).catch(() => undefined);
    this.setKnown(undefined);
    this.deps.events.deposed?.(reason, undefined);
  }

  /** Stop the loop; a leader frees its lease so another replica takes over without waiting for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.ownTerm !== undefined) {
      this.ownTerm = undefined;
      await RESIGN.run(this.deps.redis, [this.deps.keys.leader], [this.options.nodeId]).catch(() => undefined);
    }
  }

  private async doTick(): Promise<void> {
    if (this.stopped || this.lostState || this.seenEpoch === undefined) return;
    const { redis, keys, clock } = this.deps;
    const { nodeId, leaseMs } = this.options;
    const leading = this.ownTerm;
    const started = clock.now();
    let reply: string[];
    try {
      reply =
        leading === undefined
          ? ((await ACQUIRE.run(redis, [keys.epoch, keys.leader, keys.term], [this.seenEpoch, nodeId, String(leaseMs)])) as string[])
          : ((await RENEW.run(redis, [keys.epoch, keys.leader, keys.term], [this.seenEpoch, nodeId, String(leaseMs), String(leading)])) as string[]);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.stopped) return;
    this.reached();
    const [kind, a = '', b = '0'] = reply;
    if (kind === 'LOST') return this.lost(a === '' ? undefined : a);
    if (kind === 'ELECTED') {
      this.ownTerm = Number(a);
      this.lastRenewed = started;
      this.deps.logger.info({ nodeId, term: this.ownTerm }, 'elected leader');
      this.setKnown({ nodeId, term: this.ownTerm });
      this.deps.events.elected?.(this.ownTerm);
      return;
    }
    if (kind === 'RENEWED') {
      if (this.ownTerm === leading) this.lastRenewed = started;
      return;
    }
    const leader = a === '' ? undefined : { nodeId: a, term: Number(b) };
    if (leading !== undefined && this.ownTerm === leading) {
      this.ownTerm = undefined;
      this.deps.logger.warn({ term: leading, leader }, 'lost the leader lease');
      this.setKnown(leader);
      this.deps.events.deposed?.('lease lost', leader);
      return;
    }
    this.setKnown(leader);
  }

  private failed(err: unknown): void {
    const { clock, logger } = this.deps;
    if (!this.unreachable) {
      this.unreachable = true;
      logger.warn({ err: { message: (err as Error)?.message } }, 'Redis unreachable: leadership cannot be renewed or polled');
    }
    const now = clock.now();
    // The lease may expire in Redis before the next renewal could land: stop leading now.
    if (this.ownTerm !== undefined && now - this.lastRenewed >= this.options.leaseMs - this.interval) {
      const term = this.ownTerm;
      this.ownTerm = undefined;
      logger.warn({ term }, 'could not renew the leader lease in time: stepping down');
      this.setKnown(undefined);
      this.deps.events.deposed?.('renewal failed', undefined);
    } else if (this.ownTerm === undefined && now - this.lastReached >= this.options.leaseMs) this.setKnown(undefined);
  }

  private reached(): void {
    this.lastReached = this.deps.clock.now();
    if (this.unreachable) {
      this.unreachable = false;
      this.deps.logger.info({}, 'Redis reachable again');
    }
  }

  private lost(found: string | undefined): void {
    const expectedEpoch = this.seenEpoch!;
    this.lostState = { expectedEpoch, foundEpoch: found };
    if (this.timer) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    const wasLeading = this.ownTerm !== undefined;
    this.ownTerm = undefined;
    this.setKnown(undefined);
    if (wasLeading) this.deps.events.deposed?.('cluster state lost', undefined);
    this.deps.events.stateLost?.(expectedEpoch, found);
  }

  private setKnown(leader: LeaderInfo | undefined): void {
    const same = leader === this.known || (leader && this.known && leader.nodeId === this.known.nodeId && leader.term === this.known.term);
    if (same) return;
    this.known = leader;
    this.deps.events.leaderChanged?.(leader);
  }
}
