import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../observability/metrics.js';
import type { PoolService } from '../pool/pool-service.js';
import type { LeaseManager } from '../resources/lease-manager.js';
import { openStores, type DurableStores } from '../stores/open-stores.js';
import { loadRecovery } from '../stores/recovery.js';
import type { Clock } from '../time/clock.js';
import { TurnOutbox } from './turn-outbox.js';

/** Open the stores COORDD_STORE names (throws StoreError when the file cannot be opened or migrated). */
export function openConfiguredStores(config: Config, clock: Clock): DurableStores {
  // Cluster mode opens its stores per leadership term (cluster/leader-core.ts), not here.
  if (config.store.kind === 'redis') throw new Error('COORDD_STORE=redis://… runs a ClusterNode, which opens its stores when elected');
  return openStores(
    config.store,
    { clock },
    {
      fsync: config.fsync,
      tasks: { retentionMs: config.pool.retentionMs, retentionCount: config.pool.retentionCount },
    },
  );
}

/** Stores in process memory with the configured retention: the default of an in-process Daemon. */
export function memoryStores(config: Config, clock: Clock): DurableStores {
  return openStores({ kind: 'memory' }, { clock }, { tasks: { retentionMs: config.pool.retentionMs, retentionCount: config.pool.retentionCount } });
}

/**
 * The turn outbox for a durable store (undefined in memory: nothing to commit, messages leave at
 * once). A failed write or commit fails the turn and every later one.
 */
export function createOutbox(stores: DurableStores, deps: { logger: Logger; clock: Clock }): { outbox: TurnOutbox | undefined; stop: () => void } {
  if (stores.description === 'memory') return { outbox: undefined, stop: () => undefined };
  const outbox = new TurnOutbox({
    commit: () => stores.commit(),
    failed: (error) =>
      deps.logger.error(
        { err: { name: error.name, message: error.message }, reason: error.code, store: stores.description },
        // Cluster mode: the leader's core is discarded and rebuilt from Redis when it is elected again.
        stores.description.startsWith('redis')
          ? 'the commit to Redis failed: this turn is answered with an error and the leader steps down'
          : 'the store failed: answering STORE_UNAVAILABLE and not ready until restarted',
      ),
  });
  stores.onFailure((error) => outbox.writeFailed(error));
  // Writes made by timers (timeouts, retries, reattach grace) send nothing: commit them soon anyway.
  const timer = deps.clock.setInterval(() => outbox.schedule(), 100);
  return { outbox, stop: () => deps.clock.clearInterval(timer) };
}

/** Rebuild the pool's queue and waiting attempts from what the store holds (before listening). */
export function recoverFromStores(
  stores: DurableStores,
  deps: { pool: PoolService; leases: LeaseManager; clock: Clock; logger: Logger; metrics?: Metrics },
): { pending: number; inProgress: number; leases: number } {
  const started = performance.now();
  const state = loadRecovery(stores, deps.clock.now());
  deps.pool.recover(state.tasks);
  const leases = deps.leases.restore(state.leases);
  const counts = { pending: state.tasks.pending.length, inProgress: state.tasks.inProgress.length, leases, fencingHighWater: state.fencingHighWater };
  deps.logger.info({ ...counts, store: stores.description, ms: Math.round(performance.now() - started) }, 'state recovered');
  return counts;
}
