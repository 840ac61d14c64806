import { DEFAULT_CONVERSATION_OPTIONS, type ConversationMessage } from './conversation-store.js';

/** A conversation as persisted: what conversation.get shows and router.route relays as history. */
export interface StoredConversation {
  readonly conversationId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly messages: readonly ConversationMessage[];
  /** Messages dropped from the front so far. */
  readonly dropped: number;
  readonly agents: readonly string[];
}

/** The bounds a ConversationRecordStore keeps (the same as the in-memory ConversationStore's). */
export interface ConversationRecordStoreOptions {
  /** @defaultValue 10_000 */
  maxConversations: number;
  /** @defaultValue 200 */
  maxMessages: number;
}

export const DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS: Readonly<ConversationRecordStoreOptions> = Object.freeze({
  maxConversations: DEFAULT_CONVERSATION_OPTIONS.maxConversations,
  maxMessages: DEFAULT_CONVERSATION_OPTIONS.maxMessages,
});

/**
 * Where conversations live across restarts, bounded as today: at most maxConversations (the least
 * recently updated go first) of at most maxMessages each (the oldest messages go first, counted in
 * `dropped`). Synchronous like TaskStore; every implementation must pass
 * test/unit/conversations/conversation-record-store-conformance.ts.
 */
export interface ConversationRecordStore {
  /** Add or replace a conversation, trimming its messages and evicting the least recently updated beyond the bound. */
  save(conversation: StoredConversation): void;
  /** The conversation, or undefined when unknown, deleted or evicted. */
  get(conversationId: string): StoredConversation | undefined;
  /** Forget a conversation; unknown ids are ignored. */
  delete(conversationId: string): void;
  /** Every kept conversation, least recently updated first (the order to rebuild a recency cache in). */
  all(): StoredConversation[];
}

/** `c` with at most `max` messages, the dropped ones counted. */
export function trimmed(c: StoredConversation, max: number): StoredConversation {
  const extra = c.messages.length - max;
  return extra > 0 ? { ...c, messages: c.messages.slice(extra), dropped: c.dropped + extra } : c;
}
