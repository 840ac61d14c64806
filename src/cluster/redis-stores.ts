import type { DurableStores, OpenStoresOptions } from '../stores/open-stores.js';
import { StoreError } from '../stores/store-error.js';
import type { Clock } from '../time/clock.js';
import type { ClusterKeys } from './cluster-keys.js';
import { HashJournal, type HashContents } from './hash-journal.js';
import { LuaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import { META_FENCING, RedisConversationStore, RedisLeaseStore, RedisScalingStore } from './redis-side-stores.js';
import { RedisTaskStore } from './redis-task-store.js';

/**
 * The fenced commit: refuses unless `epoch` and `term` are the ones the leader was elected with,
 * then applies every hash section (`nSet, nDel, field, value, …, field, …`) in one atomic script.
 */
export const COMMIT = new LuaScript(`
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[2] then return {'EPOCH', epoch or ''} end
local term = redis.call('GET', KEYS[1])
if term ~= ARGV[1] then return {'TERM', term or ''} end
local i = 3
for k = 3, #KEYS do
  local nset = tonumber(ARGV[i])
  local ndel = tonumber(ARGV[i + 1])
  i = i + 2
  local j = 0
  while j < nset do
    local n = math.min(nset - j, 200)
    redis.call('HSET', KEYS[k], unpack(ARGV, i + 2 * j, i + 2 * (j + n) - 1))
    j = j + n
  end
  i = i + 2 * nset
  j = 0
  while j < ndel do
    local n = math.min(ndel - j, 400)
    redis.call('HDEL', KEYS[k], unpack(ARGV, i + j, i + j + n - 1))
    j = j + n
  end
  i = i + ndel
end
return {'OK'}
`);

export interface RedisStoresDeps {
  redis: RedisConnection;
  keys: ClusterKeys;
  clock: Clock;
  /** The term this leader was elected with and the epoch it saw: every commit is fenced by both. */
  term: number;
  epoch: string;
  /** `redis://…` without a password. */
  description: string;
  /** Whether the leader's lease is still running by its own clock; every commit (even of nothing) checks it. @defaultValue always true */
  leaseValid?: () => boolean;
}

/** Counts for benchmarks and logs. */
export interface CommitStats {
  commits: number;
  /** Fields set or deleted in all. */
  changes: number;
}

/**
 * Cluster mode's DurableStores, on the leader: in-memory stores for every read, each turn's
 * changes journaled per Redis hash and committed in ONE script call (EVALSHA) that checks term and
 * epoch first, so a deposed leader's writes never land. At most one commit is in flight: turns
 * that end meanwhile are committed together by the next one (group commit), in order; once one
 * fails, every later one fails too (memory is ahead of Redis: the leader must step down).
 */
export class RedisStores implements DurableStores {
  readonly description: string;
  readonly tasks: RedisTaskStore;
  readonly leases: RedisLeaseStore;
  readonly conversations: RedisConversationStore;
  readonly scaling: RedisScalingStore;
  readonly stats: CommitStats = { commits: 0, changes: 0 };
  private readonly meta = new HashJournal();
  private readonly hooks: ((error: StoreError) => void)[] = [];
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private failure: StoreError | undefined;
  private closed = false;

  constructor(
    private readonly deps: RedisStoresDeps,
    /** Retention and bounds of the in-memory stores (a reload uses the same). */
    readonly options: Partial<OpenStoresOptions> = {},
  ) {
    this.description = deps.description;
    this.tasks = new RedisTaskStore({ clock: deps.clock }, options.tasks);
    this.leases = new RedisLeaseStore(options.leases);
    this.conversations = new RedisConversationStore(options.conversations);
    this.scaling = new RedisScalingStore(this.meta);
  }

  /** Read everything the cluster keeps in Redis into fresh stores (a newly elected leader). */
  static async load(deps: RedisStoresDeps, options: Partial<OpenStoresOptions> = {}): Promise<RedisStores> {
    const stores = new RedisStores(deps, options);
    const { redis, keys } = deps;
    const [tasks, leases, outcomes, conversations, meta] = await Promise.all(
      [keys.tasks, keys.leases, keys.outcomes, keys.conversations, keys.meta].map((key) => readHash(redis, key)),
    );
    stores.tasks.load(tasks!);
    stores.leases.load(leases!, outcomes!, meta!);
    stores.conversations.load(conversations!);
    stores.scaling.load(meta!);
    return stores;
  }

  get term(): number {
    return this.deps.term;
  }

  /** Commit everything journaled so far (after the commit in flight, if any); rejects with a StoreError. */
  commit(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = undefined;
      return this.send();
    });
    this.queued = next;
    this.tail = next;
    return next;
  }

  /** No commit after this one: the core is being discarded or stopped. */
  close(): void {
    this.closed = true;
  }

  onFailure(hook: (error: StoreError) => void): void {
    this.hooks.push(hook);
  }

  private async send(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) throw this.fail(new StoreError('FENCED', 'this leader core was discarded'));
    // A turn of reads only commits nothing, but its replies must not leave from a leader whose lease may have run out.
    if (this.deps.leaseValid && !this.deps.leaseValid()) throw this.fail(new StoreError('FENCED', 'the leader lease ran out before it could be renewed'));
    const fencing = this.leases.fencingChange();
    if (fencing !== undefined) this.meta.set(META_FENCING, fencing);
    const sections = [
      this.tasks.drain(),
      this.leases.leaseJournal.drain(),
      this.leases.outcomeJournal.drain(),
      this.conversations.journal.drain(),
      this.meta.drain(),
    ];
    const changes = sections.reduce((n, s) => n + Number(s[0]) + Number(s[1]), 0);
    if (changes === 0) return;
    const { redis, keys, term, epoch } = this.deps;
    let reply: string[];
    try {
      reply = (await COMMIT.run(
        redis,
        [keys.term, keys.epoch, keys.tasks, keys.leases, keys.outcomes, keys.conversations, keys.meta],
        [String(term), epoch, ...sections.flat()],
      )) as string[];
    } catch (err) {
      throw this.fail(new StoreError('IO', `the commit to Redis failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    }
    const [kind, found] = reply;
    if (kind === 'EPOCH') {
      throw this.fail(
        new StoreError('STATE_LOST', 'Redis lost the cluster state (epoch missing or changed)', {
          details: { expectedEpoch: epoch, foundEpoch: found || null },
        }),
      );
    }
    if (kind === 'TERM')
      throw this.fail(
        new StoreError('FENCED', `term ${term} is no longer current (Redis holds ${found || 'none'})`, { details: { term, currentTerm: Number(found) } }),
      );
    this.stats.commits++;
    this.stats.changes += changes;
  }

  private fail(error: StoreError): StoreError {
    if (this.failure) return this.failure;
    this.failure = error;
    for (const hook of this.hooks) hook(error);
    return error;
  }
}

/** A whole hash, read with HSCAN in large pages (no single reply of every task at once). */
export async function readHash(redis: RedisConnection, key: string): Promise<HashContents> {
  const out: HashContents = new Map();
  let cursor = '0';
  do {
    const page = await redis.hScan(key, cursor, { COUNT: 5000 });
    cursor = String(page.cursor);
    for (const { field, value } of page.entries) out.set(String(field), String(value));
  } while (cursor !== '0');
  return out;
}
