import type { PoolService } from '../pool/pool-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { taskRetry } from '../schemas/task.js';

/** task.retry: run a FAILED or CANCELLED task again (the one exception to final terminal states). */
export function registerTaskAdminApi(engine: RpcEngine, deps: { pool: PoolService }): void {
  engine.register(taskRetry, (params) => deps.pool.retry(params.taskId));
}
