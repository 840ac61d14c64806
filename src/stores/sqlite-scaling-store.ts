import type { ScalingPolicy } from '../pool/scaling/scaling-policy.js';
import type { ScalingStore } from '../pool/scaling/scaling-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

const POLICY = 'scaling.policy';
const AUTO = 'scaling.auto';

/** ScalingStore in the shared SQLite file; writes become durable at the next commit(). */
export class SqliteScalingStore implements ScalingStore {
  private readonly sql;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.sql = {
      setting: db.prepare('SELECT value FROM settings WHERE name = ?').pluck(),
      saveSetting: db.prepare('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)'),
      deleteSetting: db.prepare('DELETE FROM settings WHERE name = ?'),
      counts: db.prepare('SELECT template, count FROM spawn_counts ORDER BY template'),
      setCount: db.prepare('INSERT OR REPLACE INTO spawn_counts (template, count) VALUES (?, ?)'),
      forget: db.prepare('DELETE FROM spawn_counts WHERE template = ?'),
    };
  }

  policy(): ScalingPolicy | undefined {
    const row = this.sql.setting.get(POLICY) as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as ScalingPolicy);
  }

  savePolicy(policy: ScalingPolicy): void {
    this.database.write(() => this.sql.saveSetting.run(POLICY, JSON.stringify(policy)));
  }

  spawnCounts(): Record<string, number> {
    return Object.fromEntries((this.sql.counts.all() as { template: string; count: number }[]).map((r) => [r.template, r.count]));
  }

  setSpawnCount(template: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`spawn count must be a non-negative integer, got ${count}`);
    this.database.write(() => (count === 0 ? this.sql.forget.run(template) : this.sql.setCount.run(template, count)));
  }

  autoScaling(): number | undefined {
    const row = this.sql.setting.get(AUTO) as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as { intervalSeconds: number }).intervalSeconds;
  }

  saveAutoScaling(intervalSeconds: number | undefined): void {
    this.database.write(() =>
      intervalSeconds === undefined ? this.sql.deleteSetting.run(AUTO) : this.sql.saveSetting.run(AUTO, JSON.stringify({ intervalSeconds })),
    );
  }
}
