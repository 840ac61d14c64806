import {
  DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS,
  type ConversationRecordStore,
  type ConversationRecordStoreOptions,
  type StoredConversation,
} from '../conversations/conversation-record-store.js';
import { MemoryConversationRecordStore } from '../conversations/memory-conversation-record-store.js';
import { MemoryScalingStore } from '../pool/scaling/memory-scaling-store.js';
import type { ScalingPolicy } from '../pool/scaling/scaling-policy.js';
import type { ScalingStore } from '../pool/scaling/scaling-store.js';
import { DEFAULT_LEASE_STORE_OPTIONS, type LeaseStore, type LeaseStoreOptions, type StoredLease, type WaiterOutcome } from '../resources/lease-store.js';
import { MemoryLeaseStore } from '../resources/memory-lease-store.js';
import { HashJournal, type HashContents } from './hash-journal.js';

const FENCING = 'fencing';
const POLICY = 'policy';
const SPAWN = 'spawn:';

/**
 * The leader's LeaseStore in cluster mode: a MemoryLeaseStore for reads, every change journaled to
 * the `leases` and `lease-outcomes` hashes (and the fencing high-water mark to `meta`).
 */
export class RedisLeaseStore implements LeaseStore {
  readonly leaseJournal = new HashJournal();
  readonly outcomeJournal = new HashJournal();
  readonly options: Readonly<LeaseStoreOptions>;
  private readonly inner: MemoryLeaseStore;
  private readonly ids = new Set<string>();
  /** Outcome keys in the order the inner store keeps them, to journal what its bound pushes out. */
  private readonly outcomeOrder = new Set<string>();
  private savedFencing = 0;

  constructor(options: Partial<LeaseStoreOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_LEASE_STORE_OPTIONS, ...options });
    this.inner = new MemoryLeaseStore(this.options);
  }

  load(leases: HashContents, outcomes: HashContents, meta: HashContents): void {
    for (const value of leases.values()) {
      const lease = JSON.parse(value) as StoredLease;
      this.inner.saveLease(lease);
      this.ids.add(lease.leaseId);
    }
    const saved = [...outcomes.values()].map((v) => JSON.parse(v) as WaiterOutcome).sort((a, b) => a.at - b.at);
    for (const o of saved) {
      this.inner.saveOutcome(o);
      this.outcomeOrder.add(o.key);
    }
    this.savedFencing = Number(meta.get(FENCING) ?? 0);
    this.inner.raiseFencing(this.savedFencing);
  }

  saveLease(lease: StoredLease): void {
    this.inner.saveLease(lease);
    const { timer: _timer, ...record } = lease as StoredLease & { timer?: unknown };
    this.ids.add(lease.leaseId);
    this.leaseJournal.set(lease.leaseId, JSON.stringify(record));
  }

  deleteLease(leaseId: string): void {
    this.inner.deleteLease(leaseId);
    if (this.ids.delete(leaseId)) this.leaseJournal.delete(leaseId);
  }

  leases(now: number): StoredLease[] {
    const kept = this.inner.leases(now);
    if (kept.length !== this.ids.size) {
      const live = new Set(kept.map((l) => l.leaseId));
      for (const id of this.ids) {
        if (live.has(id)) continue;
        this.ids.delete(id);
        this.leaseJournal.delete(id);
      }
    }
    return kept;
  }

  fencingHighWater(): number {
    return this.inner.fencingHighWater();
  }

  raiseFencing(token: number): void {
    this.inner.raiseFencing(token);
  }

  saveOutcome(outcome: WaiterOutcome): void {
    this.inner.saveOutcome(outcome);
    this.outcomeOrder.delete(outcome.key);
    this.outcomeOrder.add(outcome.key);
    this.outcomeJournal.set(outcome.key, JSON.stringify(outcome));
    for (const key of this.outcomeOrder) {
      if (this.outcomeOrder.size <= this.options.maxOutcomes) break;
      this.outcomeOrder.delete(key);
      this.outcomeJournal.delete(key);
    }
  }

  outcome(key: string, now: number): WaiterOutcome | undefined {
    return this.inner.outcome(key, now);
  }

  /** The fencing high-water mark for `meta`, when it rose since the last commit. */
  fencingChange(): string | undefined {
    const high = this.inner.fencingHighWater();
    if (high === this.savedFencing) return undefined;
    this.savedFencing = high;
    return String(high);
  }
}

/** The leader's ConversationRecordStore in cluster mode: memory for reads, saves and evictions journaled to `conversations`. */
export class RedisConversationStore implements ConversationRecordStore {
  readonly journal = new HashJournal();
  readonly options: Readonly<ConversationRecordStoreOptions>;
  private readonly inner: MemoryConversationRecordStore;
  private readonly ids = new Set<string>();

  constructor(options: Partial<ConversationRecordStoreOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS, ...options });
    this.inner = new MemoryConversationRecordStore(this.options);
  }

  load(hash: HashContents): void {
    const saved = [...hash.values()].map((v) => JSON.parse(v) as StoredConversation).sort((a, b) => a.updatedAt - b.updatedAt);
    for (const c of saved) {
      this.inner.save(c);
      this.ids.add(c.conversationId);
    }
  }

  save(conversation: StoredConversation): void {
    this.inner.save(conversation);
    const id = conversation.conversationId;
    this.ids.add(id);
    const kept = this.inner.get(id);
    if (kept) this.journal.set(id, JSON.stringify(kept));
    // Over the bound the inner store evicted the least recently updated: find and journal them.
    if (this.ids.size > this.options.maxConversations) {
      for (const other of this.ids) {
        if (this.inner.get(other) !== undefined) continue;
        this.ids.delete(other);
        this.journal.delete(other);
      }
    }
  }

  get(conversationId: string): StoredConversation | undefined {
    return this.inner.get(conversationId);
  }

  delete(conversationId: string): void {
    this.inner.delete(conversationId);
    if (this.ids.delete(conversationId)) this.journal.delete(conversationId);
  }

  all(): StoredConversation[] {
    return this.inner.all();
  }
}

/** The leader's ScalingStore in cluster mode: the policy and spawn counts journaled to `meta`. */
export class RedisScalingStore implements ScalingStore {
  private readonly inner = new MemoryScalingStore();

  constructor(private readonly journal: HashJournal) {}

  load(meta: HashContents): void {
    const policy = meta.get(POLICY);
    if (policy !== undefined) this.inner.savePolicy(JSON.parse(policy) as ScalingPolicy);
    for (const [field, value] of meta) if (field.startsWith(SPAWN)) this.inner.setSpawnCount(field.slice(SPAWN.length), Number(value));
  }

  policy(): ScalingPolicy | undefined {
    return this.inner.policy();
  }

  savePolicy(policy: ScalingPolicy): void {
    this.inner.savePolicy(policy);
    this.journal.set(POLICY, JSON.stringify(policy));
  }

  spawnCounts(): Record<string, number> {
    return this.inner.spawnCounts();
  }

  setSpawnCount(template: string, count: number): void {
    this.inner.setSpawnCount(template, count);
    if (count === 0) this.journal.delete(SPAWN + template);
    else this.journal.set(SPAWN + template, String(count));
  }
}

export const META_FENCING = FENCING;
