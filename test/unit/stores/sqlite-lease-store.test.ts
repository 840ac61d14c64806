import { expect } from 'chai';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { memoryDatabases, withDatabaseFile } from '../../support/sqlite-files.js';
import { SqliteLeaseStore } from '../../../src/stores/sqlite-lease-store.js';
import { leaseStoreConformance, makeLease } from '../resources/lease-store-conformance.js';

const memoryDatabase = memoryDatabases();

leaseStoreConformance('SqliteLeaseStore', (options) => {
  return new SqliteLeaseStore(memoryDatabase(), options);
});

describe('SqliteLeaseStore', () => {
  it('keeps leases, outcomes and the fencing high-water mark across a reopen, and only what was committed', () => {
    withDatabaseFile((path) => {
      let db = new SqliteDatabase(path);
      let store = new SqliteLeaseStore(db);
      const lease = makeLease({ fencingToken: 4_000, expiresAt: 9_000 });
      store.saveLease(lease);
      store.saveOutcome({ key: 'w', resource: 'r', agentId: 'a', outcome: 'granted', at: 5 });
      db.commit();
      store.raiseFencing(9_999);
      db.db.close(); // a crash before the commit
      db = new SqliteDatabase(path);
      store = new SqliteLeaseStore(db);
      expect(store.leases(8_999)).to.deep.equal([lease]);
      expect(store.fencingHighWater()).to.equal(4_000);
      expect(store.outcome('w', 10)?.outcome).to.equal('granted');
      store.saveOutcome({ key: 'x', resource: 'r', agentId: 'a', outcome: 'timeout', at: 6 });
      expect(store.outcome('x', 10)?.outcome).to.equal('timeout');
      db.close();
    });
  });
});
