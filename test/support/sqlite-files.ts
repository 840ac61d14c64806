import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../src/stores/sqlite-database.js';

/** Opens a fresh in-memory SQLite database per call; every one is closed after each test of the file. */
export function memoryDatabases(): () => SqliteDatabase {
  const open: SqliteDatabase[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.db.close();
  });
  return () => {
    const db = new SqliteDatabase(':memory:');
    open.push(db);
    return db;
  };
}

/** Run `body` with the path of a database file in a fresh temporary directory, removed afterwards. */
export function withDatabaseFile(body: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'coordd-db-'));
  try {
    body(join(dir, 'coordd.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
