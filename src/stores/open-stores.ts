import { MemoryConversationRecordStore } from '../conversations/memory-conversation-record-store.js';
import type { ConversationRecordStore, ConversationRecordStoreOptions } from '../conversations/conversation-record-store.js';
import { MemoryTaskStore, type MemoryTaskStoreOptions } from '../pool/memory-task-store.js';
import { MemoryScalingStore } from '../pool/scaling/memory-scaling-store.js';
import type { ScalingStore } from '../pool/scaling/scaling-store.js';
import type { TaskStore } from '../pool/task-store.js';
import type { LeaseStore, LeaseStoreOptions } from '../resources/lease-store.js';
import { MemoryLeaseStore } from '../resources/memory-lease-store.js';
import type { Clock } from '../time/clock.js';
import { SqliteConversationRecordStore } from './sqlite-conversation-record-store.js';
import { SqliteDatabase, type FsyncMode } from './sqlite-database.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';
import { SqliteScalingStore } from './sqlite-scaling-store.js';
import { SqliteTaskStore } from './sqlite-task-store.js';
import type { StoreError } from './store-error.js';

/** Every store the daemon keeps state in, and the one commit that makes a turn's writes durable. */
export interface DurableStores {
  /** What the listening line and pool.status will name: `sqlite:<path>`, `memory` or `redis://…` (no password). */
  readonly description: string;
  readonly tasks: TaskStore;
  readonly leases: LeaseStore;
  readonly conversations: ConversationRecordStore;
  readonly scaling: ScalingStore;
  /**
   * Make this turn's writes durable (a no-op in memory); throws StoreError after rolling them back.
   * Cluster mode's Redis stores return a Promise instead (rejected with a StoreError).
   */
  commit(): void | Promise<void>;
  /** Commit and release the file. */
  close(): void;
  /** Call `hook` when a write or commit failed (everything since the last commit was rolled back). */
  onFailure(hook: (error: StoreError) => void): void;
}

export interface OpenStoresOptions {
  fsync: FsyncMode;
  tasks: Partial<MemoryTaskStoreOptions>;
  leases: Partial<LeaseStoreOptions>;
  conversations: Partial<ConversationRecordStoreOptions>;
}

/** Open the stores COORDD_STORE names; a SQLite file is created (with its folder) and migrated as needed. */
export function openStores(
  where: { kind: 'sqlite'; path: string } | { kind: 'memory' },
  deps: { clock: Clock },
  options: Partial<OpenStoresOptions> = {},
): DurableStores {
  if (where.kind === 'memory') {
    return {
      description: 'memory',
      tasks: new MemoryTaskStore(deps, options.tasks),
      leases: new MemoryLeaseStore(options.leases),
      conversations: new MemoryConversationRecordStore(options.conversations),
      scaling: new MemoryScalingStore(),
      commit: () => undefined,
      close: () => undefined,
      onFailure: () => undefined,
    };
  }
  // Checkpoints stay inline (SQLite's automatic checkpoint): end to end, the worker-thread checkpointer
  // made bench:pool's dispatch p99 worse, not better (docs/benchmarks.md, bench:commit).
  const database = new SqliteDatabase(where.path, { fsync: options.fsync ?? 'normal' });
  return {
    description: `sqlite:${where.path}`,
    tasks: new SqliteTaskStore(database, deps, options.tasks),
    leases: new SqliteLeaseStore(database, options.leases),
    conversations: new SqliteConversationRecordStore(database, options.conversations),
    scaling: new SqliteScalingStore(database),
    commit: () => database.commit(),
    close: () => database.close(),
    onFailure: (hook) => database.onFailure(hook),
  };
}
