import { expect } from 'chai';
import { SqliteConversationRecordStore } from '../../../src/stores/sqlite-conversation-record-store.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { memoryDatabases, withDatabaseFile } from '../../support/sqlite-files.js';
import { conversationRecordStoreConformance } from '../conversations/conversation-record-store-conformance.js';

const memoryDatabase = memoryDatabases();

conversationRecordStoreConformance('SqliteConversationRecordStore', (options) => {
  return new SqliteConversationRecordStore(memoryDatabase(), options);
});

describe('SqliteConversationRecordStore', () => {
  it('keeps committed conversations across a reopen', () => {
    withDatabaseFile((path) => {
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
    });
  });
});
