import type { PoolService } from '../pool/pool-service.js';
import type { Spawner, SpawnedWorker } from '../spawn/spawner.js';

/** Up to `count` registered spawned workers, least busy first (the cheapest to stop). */
export function leastBusySpawned(pool: PoolService, spawner: Spawner, count: number): SpawnedWorker[] {
  const busy = (w: SpawnedWorker): number => pool.agents.get(w.agentId ?? '')?.inFlight.size ?? 0;
  return spawner
    .list()
    .filter((w) => w.agentId !== undefined && !w.stopping)
    .sort((a, b) => busy(a) - busy(b))
    .slice(0, count);
}

/** Drain each worker's agent (no new work; running tasks finish within `drainMs`), then stop its process. */
export async function drainAndStop(pool: PoolService, spawner: Spawner, workers: readonly SpawnedWorker[], drainMs: number): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      await pool.drain(w.agentId!, drainMs);
      await spawner.stop(w);
    }),
  );
}
