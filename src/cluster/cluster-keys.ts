/** The Redis keys of one cluster, all under the configured prefix (one hash tag: one Cluster slot). */
export interface ClusterKeys {
  /** Random id written once (SET NX); missing or changed means Redis lost the cluster's data. */
  epoch: string;
  /** The leader's node id, with the lease as its TTL. */
  leader: string;
  /** Incremented on each new leadership; the commit script refuses any other term. */
  term: string;
  /** taskId -> `<seq>:<record JSON>` (seq: insertion order, for task.list and recovery order). */
  tasks: string;
  /** leaseId -> lease JSON. */
  leases: string;
  /** waiter key -> outcome JSON. */
  outcomes: string;
  /** conversationId -> conversation JSON. */
  conversations: string;
  /** `policy` -> scaling policy JSON, `spawn:<template>` -> count, `fencing` -> high-water mark. */
  meta: string;
}

export function clusterKeys(prefix: string): ClusterKeys {
  const k = (name: string): string => `${prefix}${name}`;
  return {
    epoch: k('epoch'),
    leader: k('leader'),
    term: k('term'),
    tasks: k('tasks'),
    leases: k('leases'),
    outcomes: k('lease-outcomes'),
    conversations: k('conversations'),
    meta: k('meta'),
  };
}
