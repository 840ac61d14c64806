import { expect } from 'chai';
import { MemoryConversationRecordStore } from '../../../src/conversations/memory-conversation-record-store.js';
import { conversationRecordStoreConformance } from './conversation-record-store-conformance.js';

conversationRecordStoreConformance('MemoryConversationRecordStore', (options) => new MemoryConversationRecordStore(options));

describe('MemoryConversationRecordStore', () => {
  it('defaults to the ConversationStore bounds (10 000 conversations of 200 messages)', () => {
    expect(new MemoryConversationRecordStore().options).to.deep.equal({ maxConversations: 10_000, maxMessages: 200 });
  });
});
