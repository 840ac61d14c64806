import { keyValues, table } from '../output.js';
import { replyCommand } from '../reply-command.js';

/** `coordd cluster`: who leads, in which term, and every replica (cluster.status, answered by the replica asked). */
export const clusterCommand = replyCommand({
  name: 'cluster',
  summary: 'The cluster at a glance (cluster.status): this replica, the leader and its term, every replica with its agents.',
  method: 'cluster.status',
  text: (s) => {
    const head = keyValues([
      ['replica', s.nodeId],
      ['leader', s.leaderId ?? 'none (an election is under way)'],
      ['term', String(s.term)],
    ]);
    const rows = s.nodes.map((n) => [n.nodeId, n.leader ? 'leader' : 'follower', n.url, `${Math.round(n.lastSeenMs)} ms ago`, String(n.agents)]);
    return `${head}\n${table(['REPLICA', 'ROLE', 'URL', 'SEEN', 'AGENTS'], rows)}`;
  },
});
