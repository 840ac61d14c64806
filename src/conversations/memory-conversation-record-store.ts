import {
  DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS,
  trimmed,
  type ConversationRecordStore,
  type ConversationRecordStoreOptions,
  type StoredConversation,
} from './conversation-record-store.js';

/** ConversationRecordStore in process memory: nothing survives a restart. */
export class MemoryConversationRecordStore implements ConversationRecordStore {
  readonly options: Readonly<ConversationRecordStoreOptions>;
  private readonly byId = new Map<string, StoredConversation>();

  constructor(options: Partial<ConversationRecordStoreOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS, ...options });
  }

  save(conversation: StoredConversation): void {
    this.byId.delete(conversation.conversationId);
    this.byId.set(conversation.conversationId, trimmed(conversation, this.options.maxMessages));
    if (this.byId.size <= this.options.maxConversations) return;
    for (const c of this.all().slice(0, this.byId.size - this.options.maxConversations)) this.byId.delete(c.conversationId);
  }

  get(conversationId: string): StoredConversation | undefined {
    return this.byId.get(conversationId);
  }

  delete(conversationId: string): void {
    this.byId.delete(conversationId);
  }

  all(): StoredConversation[] {
    return [...this.byId.values()].sort((a, b) => a.updatedAt - b.updatedAt || (a.conversationId < b.conversationId ? -1 : 1));
  }
}
