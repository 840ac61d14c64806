import { ScalingPolicyError, type AutoScaler } from '../pool/scaling/index.js';
import type { RpcEngine } from '../rpc/engine.js';
import { protocolError } from '../rpc/rpc-error.js';
import {
  poolScalingExecute,
  poolScalingHistory,
  poolScalingPolicyGet,
  poolScalingPolicySet,
  poolScalingRecommendation,
  poolScalingStart,
  poolScalingStop,
} from '../schemas/scaling.js';

/** pool.scaling.*: the HPA-style autoscaler over spawned workers. */
export function registerScalingApi(engine: RpcEngine, deps: { scaler: AutoScaler }): void {
  const { scaler } = deps;

  engine.register(poolScalingPolicyGet, () => scaler.policy());
  engine.register(poolScalingPolicySet, (params) => {
    try {
      return scaler.setPolicy(params);
    } catch (err) {
      if (err instanceof ScalingPolicyError) throw protocolError('INVALID_PARAMS', { paths: err.paths, issues: err.issues });
      throw err;
    }
  });
  engine.register(poolScalingRecommendation, () => scaler.recommendation());
  engine.register(poolScalingExecute, () => scaler.execute());
  engine.register(poolScalingStart, (params) => scaler.start(params.intervalSeconds));
  engine.register(poolScalingStop, () => scaler.stop());
  engine.register(poolScalingHistory, (params) => ({ events: scaler.history(params.limit) }));
}
