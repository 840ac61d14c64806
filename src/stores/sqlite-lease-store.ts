import { DEFAULT_LEASE_STORE_OPTIONS, type LeaseStore, type LeaseStoreOptions, type StoredLease, type WaiterOutcome } from '../resources/lease-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

const FENCING = 'lease.fencing';

/** LeaseStore in the shared SQLite file; writes become durable at the database's next commit(). */
export class SqliteLeaseStore implements LeaseStore {
  readonly options: Readonly<LeaseStoreOptions>;
  private readonly sql;
  private outcomeSeq: number;

  constructor(
    private readonly database: SqliteDatabase,
    options: Partial<LeaseStoreOptions> = {},
  ) {
    this.options = Object.freeze({ ...DEFAULT_LEASE_STORE_OPTIONS, ...options });
    const db = database.db;
    this.sql = {
      save: db.prepare('INSERT OR REPLACE INTO leases (lease_id, expires_at, record) VALUES (?, ?, ?)'),
      delete: db.prepare('DELETE FROM leases WHERE lease_id = ?'),
      expire: db.prepare('DELETE FROM leases WHERE expires_at <= ?'),
      live: db.prepare('SELECT record FROM leases WHERE expires_at > ?').pluck(),
      counter: db.prepare('SELECT value FROM counters WHERE name = ?').pluck(),
      raise: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)'),
      saveOutcome: db.prepare('INSERT OR REPLACE INTO lease_outcomes (waiter_key, seq, record) VALUES (?, ?, ?)'),
      outcome: db.prepare('SELECT record FROM lease_outcomes WHERE waiter_key = ?').pluck(),
      outcomeCount: db.prepare('SELECT count(*) FROM lease_outcomes').pluck(),
      trimOutcomes: db.prepare('DELETE FROM lease_outcomes WHERE seq IN (SELECT seq FROM lease_outcomes ORDER BY seq LIMIT ?)'),
      lastOutcome: db.prepare('SELECT max(seq) FROM lease_outcomes').pluck(),
    };
    this.outcomeSeq = (this.sql.lastOutcome.get() as number | null) ?? 0;
  }

  saveLease(lease: StoredLease): void {
    const { timer: _timer, ...record } = lease as StoredLease & { timer?: unknown };
    this.database.write(() => {
      this.sql.save.run(lease.leaseId, lease.expiresAt, JSON.stringify(record));
      this.sql.raise.run(FENCING, lease.fencingToken);
    });
  }

  deleteLease(leaseId: string): void {
    this.database.write(() => this.sql.delete.run(leaseId));
  }

  leases(now: number): StoredLease[] {
    this.database.write(() => this.sql.expire.run(now));
    return (this.sql.live.all(now) as string[]).map((r) => JSON.parse(r) as StoredLease).sort((a, b) => a.fencingToken - b.fencingToken);
  }

  fencingHighWater(): number {
    return (this.sql.counter.get(FENCING) as number | undefined) ?? 0;
  }

  raiseFencing(token: number): void {
    this.database.write(() => this.sql.raise.run(FENCING, token));
  }

  saveOutcome(outcome: WaiterOutcome): void {
    this.database.write(() => {
      this.sql.saveOutcome.run(outcome.key, ++this.outcomeSeq, JSON.stringify(outcome));
      const surplus = (this.sql.outcomeCount.get() as number) - this.options.maxOutcomes;
      if (surplus > 0) this.sql.trimOutcomes.run(surplus);
    });
  }

  outcome(key: string, now: number): WaiterOutcome | undefined {
    const row = this.sql.outcome.get(key) as string | undefined;
    const found = row === undefined ? undefined : (JSON.parse(row) as WaiterOutcome);
    return found && now - found.at <= this.options.outcomeRetentionMs ? found : undefined;
  }
}
