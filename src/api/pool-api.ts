import { AppError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { PoolService } from '../pool/pool-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { poolDespawn, poolIsolationReport, poolShutdown, poolSpawn, poolStatus } from '../schemas/pool.js';
import type { Spawner, SpawnedWorker } from '../spawn/spawner.js';
import { drainAndStop, leastBusySpawned } from './worker-control.js';
import { poolStatusOf } from '../wiring/pool-status.js';
import type { ScalingStore } from '../pool/scaling/scaling-store.js';

export interface PoolApiDeps {
  pool: PoolService;
  spawner: Spawner;
  metrics: Metrics;
  shutdownTimeoutMs: number;
  /** Where how many workers of each template pool.spawn / pool.despawn asked for is kept (started again after a restart). */
  spawnCounts?: Pick<ScalingStore, 'setSpawnCount'>;
}

/** Default drain time for pool.despawn. */
const DESPAWN_DRAIN_MS = 30_000;

/** pool.status, pool.isolationReport, pool.spawn, pool.despawn and pool.shutdown. */
export function registerPoolApi(engine: RpcEngine, deps: PoolApiDeps): void {
  const { pool, spawner, metrics } = deps;
  /** Keep what the operator asked for: the workers of `template` running now. */
  const remember = (template: string): void => deps.spawnCounts?.setSpawnCount(template, spawner.list().filter((w) => w.template === template).length);

  engine.register(poolStatus, () => poolStatusOf(pool, metrics));

  engine.register(poolIsolationReport, () => pool.isolationReport());

  engine.register(poolSpawn, async (params) => {
    const template = params.template ?? 'echo';
    const workers = await spawner.spawn(params.count, template);
    remember(template);
    return { template, agentIds: workers.map((w) => w.agentId!), pids: workers.map((w) => w.proc.pid!) };
  });

  engine.register(poolDespawn, async (params) => {
    const drainMs = params.drainTimeoutMs ?? DESPAWN_DRAIN_MS;
    const chosen: SpawnedWorker[] = [];
    const notSpawned: string[] = [];
    if ('agentIds' in params) {
      for (const id of params.agentIds) {
        const w = spawner.byAgent(id);
        if (w) chosen.push(w);
        else notSpawned.push(id);
      }
    } else {
      chosen.push(...leastBusySpawned(pool, spawner, params.count));
      if (chosen.length === 0) throw new AppError('UNKNOWN_AGENT', 'no spawned agents to stop');
    }
    await drainAndStop(pool, spawner, chosen, drainMs);
    for (const template of new Set(chosen.map((w) => w.template))) remember(template);
    return { stopped: chosen.map((w) => w.agentId!), notSpawned };
  });

  engine.register(poolShutdown, async (params) => {
    const result = await pool.shutdown(params.drainTimeoutMs ?? deps.shutdownTimeoutMs);
    const stoppedWorkers = await spawner.stopAll(5000);
    return { ...result, stoppedWorkers };
  });
}
