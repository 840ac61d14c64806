import {
  DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS,
  trimmed,
  type ConversationRecordStore,
  type ConversationRecordStoreOptions,
  type StoredConversation,
} from '../conversations/conversation-record-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** ConversationRecordStore in the shared SQLite file; writes become durable at the next commit(). */
export class SqliteConversationRecordStore implements ConversationRecordStore {
  readonly options: Readonly<ConversationRecordStoreOptions>;
  private readonly sql;

  constructor(
    private readonly database: SqliteDatabase,
    options: Partial<ConversationRecordStoreOptions> = {},
  ) {
    this.options = Object.freeze({ ...DEFAULT_CONVERSATION_RECORD_STORE_OPTIONS, ...options });
    const db = database.db;
    this.sql = {
      save: db.prepare('INSERT OR REPLACE INTO conversations (conversation_id, updated_at, record) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT record FROM conversations WHERE conversation_id = ?').pluck(),
      delete: db.prepare('DELETE FROM conversations WHERE conversation_id = ?'),
      all: db.prepare('SELECT record FROM conversations ORDER BY updated_at, conversation_id').pluck(),
      count: db.prepare('SELECT count(*) FROM conversations').pluck(),
      evict: db.prepare(
        'DELETE FROM conversations WHERE conversation_id IN (SELECT conversation_id FROM conversations ORDER BY updated_at, conversation_id LIMIT ?)',
      ),
    };
  }

  save(conversation: StoredConversation): void {
    const kept = trimmed(conversation, this.options.maxMessages);
    this.database.write(() => {
      this.sql.save.run(kept.conversationId, kept.updatedAt, JSON.stringify(kept));
      const surplus = (this.sql.count.get() as number) - this.options.maxConversations;
      if (surplus > 0) this.sql.evict.run(surplus);
    });
  }

  get(conversationId: string): StoredConversation | undefined {
    const row = this.sql.get.get(conversationId) as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as StoredConversation);
  }

  delete(conversationId: string): void {
    this.database.write(() => this.sql.delete.run(conversationId));
  }

  all(): StoredConversation[] {
    return (this.sql.all.all() as string[]).map((r) => JSON.parse(r) as StoredConversation);
  }
}
