import { AppError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { PoolService } from '../pool/pool-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { poolDespawn, poolIsolationReport, poolShutdown, poolSpawn, poolStatus, poolTemplates } from '../schemas/pool.js';
import type { Spawner, SpawnedWorker } from '../spawn/spawner.js';
import { drainAndStop, leastBusySpawned } from './worker-control.js';
import { poolStatusOf } from '../wiring/pool-status.js';

export interface PoolApiDeps {
  pool: PoolService;
  spawner: Spawner;
  metrics: Metrics;
  shutdownTimeoutMs: number;
}

/** pool.status, pool.isolationReport, pool.spawn, pool.despawn and pool.shutdown. */
export function registerPoolApi(engine: RpcEngine, deps: PoolApiDeps): void {
  const { pool, spawner, metrics } = deps;

  engine.register(poolStatus, () => poolStatusOf(pool, metrics));

  engine.register(poolIsolationReport, () => pool.isolationReport());

  engine.register(poolTemplates, () => ({ templates: spawner.templates() }));

  engine.register(poolSpawn, async (params) => {
    const template = params.template ?? 'echo';
    const workers = await spawner.spawn(params.count, template);
    return { template, agentIds: workers.map((w) => w.agentId!), pids: workers.map((w) => w.proc.pid!) };
  });

  engine.register(poolDespawn, async (params) => {
    const drainMs = params.drainTimeoutMs ?? pool.options.workerDrainTimeoutMs;
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
    return { stopped: chosen.map((w) => w.agentId!), notSpawned };
  });

  engine.register(poolShutdown, async (params) => {
    const result = await pool.shutdown(params.drainTimeoutMs ?? deps.shutdownTimeoutMs);
    const stoppedWorkers = await spawner.stopAll();
    return { ...result, stoppedWorkers };
  });
}
