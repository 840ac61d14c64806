import { z } from 'zod';
import { defineMethod } from './method.js';

/** One replica as cluster.status lists it. */
export const ClusterNode = z.object({
  nodeId: z.string(),
  url: z.string().describe('The WebSocket URL the replica advertises (COORDD_CLUSTER_ADVERTISE_URL, else its listening URL)'),
  leader: z.boolean().describe('Whether it holds the leader lease now'),
  lastSeenMs: z.number().int().nonnegative().describe('Milliseconds since its last membership heartbeat'),
  agents: z.number().int().nonnegative().describe('Agent connections it holds (relayed or local)'),
});
export type ClusterNode = z.infer<typeof ClusterNode>;

export const ClusterStatus = z.object({
  nodeId: z.string().describe('The replica that answered (the one this connection reached)'),
  leaderId: z.string().optional().describe('The replica holding the leader lease; absent during a failover'),
  term: z.number().int().nonnegative().describe('The leadership term (0 in single-node mode)'),
  nodes: z.array(ClusterNode).describe('Every live replica, by nodeId'),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

export const clusterStatus = defineMethod({
  name: 'cluster.status',
  summary:
    'The replicas of the cluster, its leader and term, answered by the replica this connection reached from Redis (no leader needed). In single-node mode: this daemon alone, as leader of term 0.',
  roles: ['operator', 'admin'],
  params: z.union([z.strictObject({}), z.tuple([])]).optional(),
  result: ClusterStatus,
});
