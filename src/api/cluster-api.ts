import type { RpcEngine } from '../rpc/engine.js';
import { clusterStatus, type ClusterStatus } from '../schemas/cluster.js';

/** Where cluster.status reads from: Redis membership in cluster mode, this daemon alone otherwise. */
export interface ClusterStatusSource {
  status(): ClusterStatus | Promise<ClusterStatus>;
}

/** cluster.status: the replicas, the leader and the term. */
export function registerClusterApi(engine: RpcEngine, deps: { source: ClusterStatusSource }): void {
  engine.register(clusterStatus, () => deps.source.status());
}
