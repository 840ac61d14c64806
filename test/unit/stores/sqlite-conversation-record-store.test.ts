import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteConversationRecordStore } from '../../../src/stores/sqlite-conversation-record-store.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { conversationRecordStoreConformance } from '../conversations/conversation-record-store-conformance.js';

const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.db.close();
});

conversationRecordStoreConformance('SqliteConversationRecordStore', (options) => {
  const db = new SqliteDatabase(':memory:');
  open.push(db);
  return new SqliteConversationRecordStore(db, options);
});

describe('SqliteConversationRecordStore', () => {
  it('keeps committed conversations across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-conv-'));
    try {
      const path = join(dir, 'c.db');
      const db = new SqliteDatabase(path);
      const c = {
        conversationId: 'c1',
        createdAt: 1,
        updatedAt: 2,
        messages: [{ role: 'user' as const, message: 'hi', timestamp: 2 }],
        dropped: 0,
        agents: [],
      };
      new SqliteConversationRecordStore(db).save(c);
      db.close();
      const again = new SqliteDatabase(path);
      expect(new SqliteConversationRecordStore(again).all()).to.deep.equal([c]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
