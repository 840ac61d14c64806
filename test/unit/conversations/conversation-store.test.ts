import { expect } from 'chai';
import { ConversationStore } from '../../../src/conversations/conversation-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('ConversationStore', () => {
  let clock: VirtualClock;
  beforeEach(() => (clock = new VirtualClock(1_700_000_000_000)));

  it('keeps messages in order with role, agentId and timestamp', () => {
    const store = new ConversationStore({ clock });
    store.append('c1', { role: 'user', agentId: 'a', message: 'hello' });
    clock.advance(1000);
    store.append('c1', { role: 'agent', agentId: 'a', message: { text: 'hi' } });
    const c = store.get('c1')!;
    expect(c.messages).to.deep.equal([
      { role: 'user', agentId: 'a', message: 'hello', timestamp: 1_700_000_000_000 },
      { role: 'agent', agentId: 'a', message: { text: 'hi' }, timestamp: 1_700_000_001_000 },
    ]);
    expect(c).to.include({ messageCount: 2, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_001_000 });
    expect(c.agents).to.deep.equal(['a']);
  });

  it('relays at most the newest N messages', () => {
    const store = new ConversationStore({ clock }, { historyMessages: 3 });
    for (let i = 0; i < 10; i++) store.append('c', { role: 'user', message: `m${i}` });
    expect(store.history('c').map((m) => m.message)).to.deep.equal(['m7', 'm8', 'm9']);
  });

  it('relays only what fits the byte budget, dropping the oldest first', () => {
    const one = Buffer.byteLength(JSON.stringify({ role: 'user', message: 'x'.repeat(100), timestamp: clock.now() }));
    const store = new ConversationStore({ clock }, { historyMessages: 100, historyBytes: one * 2 + 10 });
    for (let i = 0; i < 5; i++) store.append('c', { role: 'user', message: String(i).repeat(100) });
    const h = store.history('c');
    expect(h.map((m) => (m.message as string)[0])).to.deep.equal(['3', '4']);
    expect(Buffer.byteLength(JSON.stringify(h))).to.be.at.most(one * 2 + 10 + 3);
  });

  it('relays nothing when the newest message alone is over budget, and [] for unknown conversations', () => {
    const store = new ConversationStore({ clock }, { historyBytes: 50 });
    store.append('c', { role: 'user', message: 'short' });
    store.append('c', { role: 'user', message: 'y'.repeat(200) });
    expect(store.history('c')).to.deep.equal([]);
    expect(store.history('nope')).to.deep.equal([]);
  });

  it('stores at most maxMessages per conversation, counting the dropped ones', () => {
    const store = new ConversationStore({ clock }, { maxMessages: 4 });
    for (let i = 0; i < 10; i++) store.append('c', { role: 'user', message: i });
    const c = store.get('c')!;
    expect(c.messages.map((m) => m.message)).to.deep.equal([6, 7, 8, 9]);
    expect(c.droppedMessages).to.equal(6);
    expect(c.messageCount).to.equal(10);
  });

  it('drops a conversation idle for idleTtlMs; a new message restarts the idle timer', () => {
    const store = new ConversationStore({ clock }, { idleTtlMs: 60_000 });
    store.append('idle', { role: 'user', message: 1 });
    store.append('busy', { role: 'user', message: 1 });
    clock.advance(50_000);
    store.append('busy', { role: 'user', message: 2 });
    clock.advance(20_000);
    expect(store.has('idle')).to.equal(false);
    expect(store.get('idle')).to.equal(undefined);
    expect(store.has('busy')).to.equal(true);
    expect(store.size).to.equal(1);
  });

  it('keeps at most maxConversations, dropping the least recently used', () => {
    const store = new ConversationStore({ clock }, { maxConversations: 2 });
    store.append('a', { role: 'user', message: 1 });
    store.append('b', { role: 'user', message: 1 });
    store.append('a', { role: 'user', message: 2 });
    store.append('c', { role: 'user', message: 1 });
    expect(
      store
        .list(10)
        .map((c) => c.conversationId)
        .sort(),
    ).to.deep.equal(['a', 'c']);
  });

  it('lists most recent first, filters by agent, and closes', () => {
    const store = new ConversationStore({ clock });
    store.append('a', { role: 'agent', agentId: 'x', message: 1 });
    store.append('b', { role: 'agent', agentId: 'y', message: 1 });
    expect(store.list(10).map((c) => c.conversationId)).to.deep.equal(['b', 'a']);
    expect(store.list(1)).to.have.length(1);
    expect(store.list(10, 'x').map((c) => c.conversationId)).to.deep.equal(['a']);
    expect(store.close('a')).to.include({ conversationId: 'a', messageCount: 1 });
    expect(store.close('a')).to.equal(undefined);
    expect(store.has('a')).to.equal(false);
  });

  it('keeps each conversation within maxConversationBytes, dropping the oldest (never the newest)', () => {
    const store = new ConversationStore({ clock }, { maxConversationBytes: 1000 });
    for (let i = 0; i < 10; i++) store.append('c', { role: 'user', message: String(i).repeat(300) });
    const c = store.get('c')!;
    expect(c.messages.map((m) => (m.message as string)[0])).to.deep.equal(['8', '9']);
    expect(c.droppedMessages).to.equal(8);
    store.append('c', { role: 'user', message: 'x'.repeat(5000) });
    expect(
      store.get('c')!.messages.map((m) => (m.message as string).length),
      'a message over the cap alone is still kept',
    ).to.deep.equal([5000]);
  });

  it('keeps all conversations within maxTotalBytes, dropping the least recently used', () => {
    const store = new ConversationStore({ clock }, { maxTotalBytes: 3000 });
    for (const id of ['a', 'b', 'c', 'd']) store.append(id, { role: 'user', message: 'y'.repeat(900) });
    expect(store.list(10).map((c) => c.conversationId)).to.deep.equal(['d', 'c', 'b']);
    expect(store.has('a')).to.equal(false);
  });

  describe('reading is not activity', () => {
    it('keeps the list most recently active first after get() and history() of an older conversation', () => {
      const store = new ConversationStore({ clock });
      store.append('old', { role: 'user', message: 1 });
      clock.advance(1000);
      store.append('new', { role: 'user', message: 1 });
      expect(store.get('old')!.messageCount).to.equal(1);
      expect(store.history('old')).to.have.length(1);
      expect(store.list(10).map((c) => c.conversationId)).to.deep.equal(['new', 'old']);
      expect(store.list(10).map((c) => c.updatedAt)).to.deep.equal([clock.now(), clock.now() - 1000]);
    });

    it('still drops the least recently active first (maxConversations) however often it was read', () => {
      const store = new ConversationStore({ clock }, { maxConversations: 2 });
      store.append('a', { role: 'user', message: 1 });
      store.append('b', { role: 'user', message: 1 });
      store.get('a');
      store.history('a');
      store.append('c', { role: 'user', message: 1 });
      expect(store.list(10).map((c) => c.conversationId)).to.deep.equal(['c', 'b']);
    });

    it('does not restart the idle timer: a conversation only read for idleTtlMs is dropped', () => {
      const store = new ConversationStore({ clock }, { idleTtlMs: 60_000 });
      store.append('c', { role: 'user', message: 1 });
      for (let i = 0; i < 5; i++) {
        clock.advance(11_000);
        expect(store.get('c')).not.to.equal(undefined);
        store.history('c');
      }
      clock.advance(5_001);
      expect(store.get('c')).to.equal(undefined);
      expect(store.list(10)).to.deep.equal([]);
    });
  });
});
