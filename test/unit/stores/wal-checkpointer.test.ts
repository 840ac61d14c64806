import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../../src/stores/sqlite-database.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../../../src/stores/wal-checkpointer.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { until } from '../../support/settled.js';

/** Bytes of the database file itself (the WAL aside): committed pages reach it only through a checkpoint. */
const mainFileBytes = (path: string): number => statSync(path).size;

/** Commit about 400 KiB in 20 turns: far below SQLite's automatic checkpoint (1,000 pages). */
function write(db: SqliteDatabase): void {
  db.db.exec('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.commit();
  const insert = db.db.prepare('INSERT INTO blobs (body) VALUES (?)');
  for (let turn = 0; turn < 20; turn++) {
    db.write(() => insert.run('x'.repeat(20_000)));
    db.commit();
  }
}

describe('SqliteDatabase: WAL checkpoints in a worker thread (backgroundCheckpoint)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'coordd-ckpt-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file when its clock says, without any commit doing it', async () => {
    const path = join(dir, 'bg.db');
    const clock = new VirtualClock();
    const db = new SqliteDatabase(path, { backgroundCheckpoint: true, clock });
    try {
      const before = mainFileBytes(path);
      write(db);
      expect(mainFileBytes(path), 'no checkpoint before the interval has passed').to.equal(before);
      clock.advance(DEFAULT_CHECKPOINT_INTERVAL_MS);
      await until(() => mainFileBytes(path) > before + 300_000, 'the background checkpoint to reach the database file');
      expect(db.db.pragma('wal_autocheckpoint', { simple: true }), 'commits only checkpoint if the thread falls far behind').to.be.greaterThan(1000);
    } finally {
      db.close();
    }
    const again = new SqliteDatabase(path);
    expect(again.db.prepare('SELECT count(*) FROM blobs').pluck().get()).to.equal(20);
    again.close();
  });

  it('without it, the same commits leave the database file as it was (they wait in the WAL)', async () => {
    const path = join(dir, 'inline.db');
    const db = new SqliteDatabase(path);
    try {
      const before = mainFileBytes(path);
      write(db);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mainFileBytes(path)).to.equal(before);
    } finally {
      db.close();
    }
  });
});
