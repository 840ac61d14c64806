import { expect } from 'chai';
import { DEFAULT_SCALING_POLICY } from '../../../src/pool/scaling/scaling-policy.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { memoryDatabases, withDatabaseFile } from '../../support/sqlite-files.js';
import { SqliteScalingStore } from '../../../src/stores/sqlite-scaling-store.js';
import { scalingStoreConformance } from '../pool/scaling/scaling-store-conformance.js';

const memoryDatabase = memoryDatabases();

scalingStoreConformance('SqliteScalingStore', () => {
  return new SqliteScalingStore(memoryDatabase());
});

describe('SqliteScalingStore', () => {
  it('keeps the committed policy and spawn counts across a reopen', () => {
    withDatabaseFile((path) => {
      const db = new SqliteDatabase(path);
      const store = new SqliteScalingStore(db);
      store.savePolicy({ ...DEFAULT_SCALING_POLICY, minAgents: 2 });
      store.setSpawnCount('echo', 2);
      db.close();
      const again = new SqliteDatabase(path);
      const reopened = new SqliteScalingStore(again);
      expect(reopened.policy()).to.deep.equal({ ...DEFAULT_SCALING_POLICY, minAgents: 2 });
      expect(reopened.spawnCounts()).to.deep.equal({ echo: 2 });
      again.close();
    });
  });
});
