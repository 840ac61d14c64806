import { expect } from 'chai';
import type { ConversationRecordStore, StoredConversation } from '../../../src/conversations/conversation-record-store.js';

const conversation = (id: string, updatedAt: number, messages = 1): StoredConversation => ({
  conversationId: id,
  createdAt: 1,
  updatedAt,
  messages: Array.from({ length: messages }, (_, i) => ({ role: i % 2 ? 'agent' : 'user', agentId: 'a1', message: { text: `m${i}` }, timestamp: i })),
  dropped: 0,
  agents: ['a1'],
});

/** The behaviour every ConversationRecordStore must show; `make` builds an empty store with these bounds. */
export function conversationRecordStoreConformance(
  name: string,
  make: (options: { maxConversations: number; maxMessages: number }) => ConversationRecordStore,
): void {
  describe(`ConversationRecordStore conformance: ${name}`, () => {
    let store: ConversationRecordStore;
    beforeEach(() => {
      store = make({ maxConversations: 3, maxMessages: 4 });
    });

    it('returns what was saved, replaced by id, and nothing for unknown or deleted ids', () => {
      const c = conversation('c1', 10, 2);
      store.save(c);
      expect(store.get('c1')).to.deep.equal(c);
      const later = { ...conversation('c1', 20, 3), agents: ['a1', 'a2'] };
      store.save(later);
      expect(store.get('c1')).to.deep.equal(later);
      expect(store.get('nope')).to.equal(undefined);
      store.delete('c1');
      store.delete('nope');
      expect(store.get('c1')).to.equal(undefined);
      expect(store.all()).to.deep.equal([]);
    });

    it('keeps at most maxMessages per conversation, the newest, and counts the dropped', () => {
      const c = { ...conversation('c1', 10, 7), dropped: 5 };
      store.save(c);
      const kept = store.get('c1')!;
      expect(kept.messages).to.deep.equal(c.messages.slice(3));
      expect(kept.dropped).to.equal(8);
    });

    it('keeps at most maxConversations, evicting the least recently updated, and lists oldest update first', () => {
      store.save(conversation('c1', 10));
      store.save(conversation('c2', 30));
      store.save(conversation('c3', 20));
      store.save(conversation('c1', 40));
      store.save(conversation('c4', 50));
      expect(store.get('c3')).to.equal(undefined);
      expect(store.all().map((c) => c.conversationId)).to.deep.equal(['c2', 'c1', 'c4']);
    });
  });
}
