import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import type { PoolService } from '../pool/pool-service.js';
import { AutoScaler, ScalingPolicyError, type ScalingTarget } from '../pool/scaling/index.js';
import type { RpcEngine } from '../rpc/engine.js';
import { RpcError } from '../rpc/rpc-error.js';
import {
  poolScalingExecute,
  poolScalingHistory,
  poolScalingPolicyGet,
  poolScalingPolicySet,
  poolScalingRecommendation,
  poolScalingStart,
  poolScalingStop,
} from '../schemas/scaling.js';
import type { Clock } from '../time/clock.js';
import type { Spawner } from '../spawn/spawner.js';
import { drainAndStop, leastBusySpawned } from './worker-control.js';

/** The pool as the autoscaler sees it: agent counts and capacity, and spawn/despawn to act. */
export function scalingTarget(pool: PoolService, spawner: Spawner): ScalingTarget {
  return {
    snapshot: () => {
      const s = pool.snapshot();
      return { current: s.agents.total, usedCapacity: s.capacity.used, totalCapacity: s.capacity.total, queueDepth: s.queue.depth };
    },
    scaleUp: async (count, template) => (await spawner.spawn(count, template)).length,
    scaleDown: async (count) => {
      const workers = leastBusySpawned(pool, spawner, count);
      await drainAndStop(pool, spawner, workers, pool.options.workerDrainTimeoutMs);
      return workers.length;
    },
  };
}

/** pool.scaling.*: the HPA-style autoscaler over spawned workers. */
export function registerScalingApi(engine: RpcEngine, deps: { clock: Clock; pool: PoolService; spawner: Spawner; log: Log }): AutoScaler {
  const scaler = new AutoScaler({ clock: deps.clock, target: scalingTarget(deps.pool, deps.spawner), log: deps.log });

  engine.register(poolScalingPolicyGet, () => scaler.policy());
  engine.register(poolScalingPolicySet, (params) => {
    if (params.template !== undefined && !deps.spawner.hasTemplate(params.template)) {
      throw new AppError('UNKNOWN_TEMPLATE', `no template ${params.template}`, { template: params.template });
    }
    try {
      return scaler.setPolicy(params);
    } catch (err) {
      if (err instanceof ScalingPolicyError) throw RpcError.protocol('INVALID_PARAMS', { paths: err.paths, issues: err.issues });
      throw err;
    }
  });
  engine.register(poolScalingRecommendation, () => scaler.recommendation());
  engine.register(poolScalingExecute, () => scaler.execute());
  engine.register(poolScalingStart, (params) => scaler.start(params.intervalSeconds));
  engine.register(poolScalingStop, () => scaler.stop());
  engine.register(poolScalingHistory, (params) => ({ events: scaler.history(params.limit) }));
  return scaler;
}
