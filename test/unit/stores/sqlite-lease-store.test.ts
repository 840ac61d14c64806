import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { SqliteLeaseStore } from '../../../src/stores/sqlite-lease-store.js';
import { leaseStoreConformance, makeLease } from '../resources/lease-store-conformance.js';

const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.db.close();
});

leaseStoreConformance('SqliteLeaseStore', (options) => {
  const db = new SqliteDatabase(':memory:');
  open.push(db);
  return new SqliteLeaseStore(db, options);
});

describe('SqliteLeaseStore', () => {
  it('keeps leases, outcomes and the fencing high-water mark across a reopen, and only what was committed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-leases-'));
    try {
      const path = join(dir, 'l.db');
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
