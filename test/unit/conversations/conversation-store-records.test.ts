import { expect } from 'chai';
import { ConversationStore } from '../../../src/conversations/conversation-store.js';
import { MemoryConversationRecordStore } from '../../../src/conversations/memory-conversation-record-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

/** With a record store, conversations are written through and a new ConversationStore (a restart) takes them back. */
describe('ConversationStore with a ConversationRecordStore', () => {
  let clock: VirtualClock;
  let records: MemoryConversationRecordStore;
  beforeEach(() => {
    clock = new VirtualClock(1_700_000_000_000);
    records = new MemoryConversationRecordStore();
  });

  it('writes every new message through, and a new store over the same records serves the same conversations', () => {
    const first = new ConversationStore({ clock, records });
    first.append('c1', { role: 'user', agentId: 'a', message: 'hello' });
    clock.advance(10);
    first.append('c2', { role: 'user', agentId: 'b', message: 'other' });
    clock.advance(10);
    first.append('c1', { role: 'agent', agentId: 'a', message: { text: 'hi' } });
    expect(records.get('c1')!.messages).to.have.length(2);
    const second = new ConversationStore({ clock, records });
    expect(second.get('c1')).to.deep.equal(first.get('c1'));
    expect(second.history('c1')).to.deep.equal(first.history('c1'));
    // Recency survives: the conversation with the last message lists first.
    expect(second.list(10).map((c) => c.conversationId)).to.deep.equal(['c1', 'c2']);
  });

  it('keeps the dropped-message count and the byte bound across the restart', () => {
    const first = new ConversationStore({ clock, records }, { maxMessages: 3 });
    for (let i = 0; i < 5; i++) first.append('c', { role: 'user', message: `m${i}` });
    const second = new ConversationStore({ clock, records }, { maxMessages: 3 });
    expect(second.get('c')).to.deep.include({ messageCount: 5, droppedMessages: 2 });
    second.append('c', { role: 'user', message: 'm5' });
    expect(second.get('c')!.messages.map((m) => m.message)).to.deep.equal(['m3', 'm4', 'm5']);
  });

  it('counts idle time from the last message: one idle too long is not restored, and deleted from the records', () => {
    const first = new ConversationStore({ clock, records }, { idleTtlMs: 1000 });
    first.append('old', { role: 'user', message: 'a' });
    clock.advance(600);
    first.append('new', { role: 'user', message: 'b' });
    clock.advance(600);
    const second = new ConversationStore({ clock, records }, { idleTtlMs: 1000 });
    expect(second.get('old')).to.equal(undefined);
    expect(records.get('old')).to.equal(undefined);
    expect(second.get('new')?.messageCount).to.equal(1);
    clock.advance(401);
    expect(second.get('new')).to.equal(undefined);
  });

  it('close deletes the record; eviction beyond maxConversations deletes it too', () => {
    const store = new ConversationStore({ clock, records }, { maxConversations: 2 });
    store.append('a', { role: 'user', message: 1 });
    store.append('b', { role: 'user', message: 2 });
    store.close('a');
    expect(records.get('a')).to.equal(undefined);
    store.append('c', { role: 'user', message: 3 });
    store.append('d', { role: 'user', message: 4 });
    expect(records.all().map((c) => c.conversationId)).to.deep.equal(['c', 'd']);
  });
});
