import type { PoolService } from '../pool/pool-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { poolDespawn, poolIsolationReport, poolShutdown, poolSpawn, poolStatus, poolTemplates } from '../schemas/pool.js';
import type { WorkerControl } from '../spawn/worker-control.js';
import type { PoolStatus } from '../wiring/pool-status.js';

export interface PoolApiDeps {
  pool: PoolService;
  workers: WorkerControl;
  /** pool.status's result. */
  status: () => Promise<PoolStatus>;
  shutdownTimeoutMs: number;
}

/** pool.status, pool.isolationReport, pool.templates, pool.spawn, pool.despawn and pool.shutdown. */
export function registerPoolApi(engine: RpcEngine, deps: PoolApiDeps): void {
  const { pool, workers } = deps;
  engine.register(poolStatus, () => deps.status());
  engine.register(poolIsolationReport, () => pool.isolationReport());
  engine.register(poolTemplates, () => ({ templates: workers.templates() }));
  engine.register(poolSpawn, (params) => workers.spawn(params.count, params.template));
  engine.register(poolDespawn, (params) => workers.despawn(params, params.drainTimeoutMs));
  engine.register(poolShutdown, (params) => workers.shutdown(params.drainTimeoutMs ?? deps.shutdownTimeoutMs));
}
