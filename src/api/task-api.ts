import type { PoolService } from '../pool/pool-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { poolAssign, taskCancel, taskGet, taskList, taskWait } from '../schemas/task.js';

/** pool.assign and task.get/list/wait/cancel: the operator's side of the queue. */
export function registerTaskApi(engine: RpcEngine, deps: { pool: PoolService }): void {
  const { pool } = deps;

  engine.register(poolAssign, (params, ctx) => {
    const { subscribe, ...input } = params;
    const peer = ctx.session.peer;
    const { task, deduplicated } = pool.assign(
      { ...input, traceId: input.traceId ?? ctx.traceId },
      subscribe ? { notify: (method, body) => peer.notify(method, body) } : {},
    );
    return { taskId: task.taskId, state: task.state, agentId: task.agentId, deduplicated };
  });

  engine.register(taskGet, (params) => pool.get(params.taskId));

  engine.register(taskList, (params) => {
    const { limit, cursor, ...filter } = params;
    return pool.list(filter, { limit: limit ?? 100, cursor });
  });

  engine.register(taskWait, (params) => pool.wait(params.taskId, params.timeoutMs));

  engine.register(taskCancel, (params) => {
    const task = pool.cancel(params.taskId);
    return { taskId: task.taskId, state: task.state, cancelRequested: task.cancelRequested };
  });
}
