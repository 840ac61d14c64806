import { LRUCache } from 'lru-cache';
import type { Clock } from '../time/clock.js';
import type { ConversationRecordStore, StoredConversation } from './conversation-record-store.js';

/** Who said it: the client that sent the message, or the agent that answered. */
export type Speaker = 'user' | 'agent';

/** One message of a conversation, as relayed to agents and returned by conversation.get. */
export interface ConversationMessage {
  readonly role: Speaker;
  /** The agent that answered (role 'agent') or the agent the message went to (role 'user'). */
  readonly agentId?: string;
  readonly message: unknown;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

interface StoredMessage {
  readonly entry: ConversationMessage;
  /** Bytes of the entry as JSON, counted once. */
  readonly bytes: number;
}

interface Conversation {
  readonly conversationId: string;
  readonly createdAt: number;
  updatedAt: number;
  messages: StoredMessage[];
  /** Messages dropped from the front to stay within maxMessages and maxConversationBytes. */
  dropped: number;
  /** JSON bytes of the stored messages. */
  bytes: number;
  readonly agents: Set<string>;
}

export interface ConversationSummary {
  conversationId: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
  agents: string[];
}

export interface ConversationStoreOptions {
  /** Newest messages relayed as history. @defaultValue 20 */
  historyMessages: number;
  /** JSON bytes the relayed history may take; older messages are left out first. @defaultValue 16384 */
  historyBytes: number;
  /** Messages kept per conversation. @defaultValue 200 */
  maxMessages: number;
  /** Conversations kept (least recently used dropped). @defaultValue 10000 */
  maxConversations: number;
  /** Idle time after which a conversation is dropped. @defaultValue 3600000 */
  idleTtlMs: number;
  /** JSON bytes stored per conversation (oldest messages dropped; the newest is always kept). @defaultValue 1 MiB */
  maxConversationBytes: number;
  /** JSON bytes stored over all conversations (least recently used dropped). @defaultValue 256 MiB */
  maxTotalBytes: number;
}

export const DEFAULT_CONVERSATION_OPTIONS: Readonly<ConversationStoreOptions> = {
  historyMessages: 20,
  historyBytes: 16 * 1024,
  maxMessages: 200,
  maxConversations: 10_000,
  idleTtlMs: 3_600_000,
  maxConversationBytes: 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

/**
 * Conversation histories for router.route, bounded by lru-cache: at most maxConversations and
 * maxTotalBytes of messages (least recently active dropped first), each conversation dropped after
 * idleTtlMs without a message (timed by the injected clock) and holding at most maxMessages and
 * maxConversationBytes (oldest messages dropped first).
 *
 * Activity is a new message (append), nothing else: reads (history, get, list, close) peek, so
 * they neither reorder conversation.list, nor protect a conversation from eviction, nor restart
 * its idle TTL. The cache's recency order is therefore the order of last messages.
 *
 * With `records` (a durable store) every change is written through (a new message saves the
 * conversation, close, eviction and expiry delete it), and the constructor loads what the store
 * holds, so conversations survive a restart with their idle time counted from their last message.
 */
export class ConversationStore {
  readonly options: Readonly<ConversationStoreOptions>;
  private readonly cache: LRUCache<string, Conversation>;

  constructor(
    private readonly deps: { clock: Clock; records?: ConversationRecordStore },
    options: Partial<ConversationStoreOptions> = {},
  ) {
    this.options = Object.freeze({ ...DEFAULT_CONVERSATION_OPTIONS, ...options });
    this.cache = new LRUCache<string, Conversation>({
      max: this.options.maxConversations,
      maxSize: this.options.maxTotalBytes,
      // A conversation whose messages were all dropped still costs its entry.
      sizeCalculation: (c) => Math.max(1, c.bytes),
      ttl: this.options.idleTtlMs,
      // lru-cache reads a start time of 0 as "no ttl", so keep the clock's epoch away from it.
      perf: { now: () => this.deps.clock.now() + 1 },
      // The default caches now() with a real timer, which a virtual clock cannot move.
      ttlResolution: 0,
      updateAgeOnGet: false,
      // What the cache drops for its bounds or idle time is dropped from the durable store too.
      dispose: (_c, conversationId, reason) => {
        if (reason === 'evict' || reason === 'expire') this.deps.records?.delete(conversationId);
      },
    });
    if (deps.records) this.restore(deps.records.all());
  }

  /** Take back stored conversations (least recently updated first); those idle past idleTtlMs are deleted. */
  private restore(stored: readonly StoredConversation[]): void {
    const now = this.deps.clock.now();
    for (const s of stored) {
      const ttl = s.updatedAt + this.options.idleTtlMs - now;
      if (ttl <= 0) {
        this.deps.records!.delete(s.conversationId);
        continue;
      }
      const messages = s.messages.map((entry) => ({ entry, bytes: Buffer.byteLength(JSON.stringify(entry)) }));
      const c: Conversation = {
        conversationId: s.conversationId,
        createdAt: s.createdAt,
        updatedAt: s.updatedAt,
        messages,
        dropped: s.dropped,
        bytes: messages.reduce((sum, m) => sum + m.bytes, 0),
        agents: new Set(s.agents),
      };
      this.cache.set(s.conversationId, c, { ttl });
    }
  }

  /** Number of live conversations. */
  get size(): number {
    this.cache.purgeStale();
    return this.cache.size;
  }

  has(conversationId: string): boolean {
    return this.cache.has(conversationId);
  }

  /**
   * The history relayed with a new message: the newest historyMessages messages whose JSON fits
   * in historyBytes together, oldest first. A message larger than the budget on its own ends it.
   */
  history(conversationId: string): ConversationMessage[] {
    const c = this.cache.peek(conversationId);
    if (c === undefined) return [];
    const out: ConversationMessage[] = [];
    let bytes = 0;
    for (let i = c.messages.length - 1; i >= 0 && out.length < this.options.historyMessages; i--) {
      const m = c.messages[i]!;
      if (bytes + m.bytes > this.options.historyBytes) break;
      bytes += m.bytes;
      out.push(m.entry);
    }
    return out.reverse();
  }

  /** Append a message, creating the conversation if needed; refreshes its idle timer. */
  append(conversationId: string, entry: Omit<ConversationMessage, 'timestamp'>): ConversationMessage {
    const now = this.deps.clock.now();
    let c = this.cache.get(conversationId);
    if (c === undefined) {
      c = { conversationId, createdAt: now, updatedAt: now, messages: [], dropped: 0, bytes: 0, agents: new Set() };
    }
    const stored: ConversationMessage = { ...entry, timestamp: now };
    const bytes = Buffer.byteLength(JSON.stringify(stored));
    c.messages.push({ entry: stored, bytes });
    c.bytes += bytes;
    let drop = 0;
    let kept = c.bytes;
    const { maxMessages, maxConversationBytes } = this.options;
    while (drop < c.messages.length - 1 && (c.messages.length - drop > maxMessages || kept > maxConversationBytes)) kept -= c.messages[drop++]!.bytes;
    if (drop > 0) {
      c.messages.splice(0, drop);
      c.dropped += drop;
      c.bytes = kept;
    }
    if (entry.agentId !== undefined) c.agents.add(entry.agentId);
    c.updatedAt = now;
    // set() restarts the idle TTL and moves it to most recently used.
    this.cache.set(conversationId, c);
    if (this.cache.peek(conversationId) === c) this.deps.records?.save(recordOf(c));
    return stored;
  }

  /** The whole stored conversation, or undefined. */
  get(conversationId: string): (ConversationSummary & { messages: ConversationMessage[]; droppedMessages: number }) | undefined {
    const c = this.cache.peek(conversationId);
    return c && { ...summary(c), messages: c.messages.map((m) => m.entry), droppedMessages: c.dropped };
  }

  /** Summaries, most recently active (last message) first; reads never reorder them. */
  list(limit: number, agentId?: string): ConversationSummary[] {
    const out: ConversationSummary[] = [];
    for (const c of this.cache.values()) {
      if (agentId !== undefined && !c.agents.has(agentId)) continue;
      out.push(summary(c));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** End a conversation and drop its history; false when unknown. */
  close(conversationId: string): ConversationSummary | undefined {
    const c = this.cache.peek(conversationId);
    if (c === undefined) return undefined;
    this.cache.delete(conversationId);
    this.deps.records?.delete(conversationId);
    return summary(c);
  }
}

function recordOf(c: Conversation): StoredConversation {
  return {
    conversationId: c.conversationId,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    messages: c.messages.map((m) => m.entry),
    dropped: c.dropped,
    agents: [...c.agents],
  };
}

function summary(c: Conversation): ConversationSummary {
  return {
    conversationId: c.conversationId,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    messageCount: c.messages.length + c.dropped,
    agents: [...c.agents],
  };
}
