import type { ClusterStatusSource } from '../api/cluster-api.js';

/**
 * cluster.status without a cluster (COORDD_STORE=sqlite:… or memory): this daemon alone, leader of
 * term 0, named by COORDD_NODE_ID or `local`. Operators and dashboards read one shape either way.
 */
export function singleNodeStatus(deps: { nodeId: string | undefined; url: () => string; agents: () => number }): ClusterStatusSource {
  const nodeId = deps.nodeId ?? 'local';
  return {
    status: () => ({ nodeId, leaderId: nodeId, term: 0, nodes: [{ nodeId, url: deps.url(), leader: true, lastSeenMs: 0, agents: deps.agents() }] }),
  };
}
