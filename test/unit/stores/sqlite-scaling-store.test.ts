import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SCALING_POLICY } from '../../../src/pool/scaling/scaling-policy.js';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { SqliteScalingStore } from '../../../src/stores/sqlite-scaling-store.js';
import { scalingStoreConformance } from '../pool/scaling/scaling-store-conformance.js';

const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.db.close();
});

scalingStoreConformance('SqliteScalingStore', () => {
  const db = new SqliteDatabase(':memory:');
  open.push(db);
  return new SqliteScalingStore(db);
});

describe('SqliteScalingStore', () => {
  it('keeps the committed policy and spawn counts across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-scaling-'));
    try {
      const path = join(dir, 's.db');
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
