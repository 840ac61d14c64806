import type { StoredConversation } from '../conversations/conversation-record-store.js';
import type { ScalingPolicy } from '../pool/scaling/scaling-policy.js';
import type { StoredLease } from '../resources/lease-store.js';
import type { DurableStores } from './open-stores.js';
import { recoverTasks, type RecoveredTasks } from './recovered-tasks.js';

/** Everything a restarted daemon rebuilds its memory from. */
export interface RecoveredState {
  tasks: RecoveredTasks;
  /** Leases still valid at `now` (expired ones are dropped), in fencing token order. */
  leases: StoredLease[];
  /** The next fencing token must be above this. */
  fencingHighWater: number;
  conversations: StoredConversation[];
  policy: ScalingPolicy | undefined;
  /** Workers to start again per template. */
  spawnCounts: Record<string, number>;
}

/** Read what the stores hold at start-up: the queue in dispatch order, running attempts, leases and counters. */
export function loadRecovery(stores: DurableStores, now: number): RecoveredState {
  return {
    tasks: recoverTasks(stores.tasks),
    leases: stores.leases.leases(now),
    fencingHighWater: stores.leases.fencingHighWater(),
    conversations: stores.conversations.all(),
    policy: stores.scaling.policy(),
    spawnCounts: stores.scaling.spawnCounts(),
  };
}
