import type { StrategyName } from '../config.js';
import type { LoadOutlookOptions } from './load-outlook.js';

/** Settings of the agent pool; the daemon fills them from Config. */
export interface PoolOptions {
  /** Heartbeat period the daemon asks agents for. @defaultValue 5000 */
  heartbeatIntervalMs: number;
  /** Silence after which an agent is DEGRADED and gets no new work. @defaultValue 15000 */
  leaseTtlMs: number;
  /** Further silence after which a DEGRADED agent is removed and its tasks requeued. @defaultValue 30000 */
  removalGraceMs: number;
  /** Per-attempt timeout when pool.assign gives none. @defaultValue 60000 */
  defaultTaskTimeoutMs: number;
  /** Attempts (failures and timeouts) before a task is FAILED. @defaultValue 3 */
  defaultMaxAttempts: number;
  /** First retry delay; doubles per failure, with jitter. @defaultValue 500 */
  retryBaseDelayMs: number;
  /** Largest retry delay. @defaultValue 30000 */
  retryMaxDelayMs: number;
  /** Times a task may go back to the queue because its agent was lost, before it FAILs (poison guard). @defaultValue 10 */
  maxRequeues: number;
  /** Pending tasks beyond which pool.assign answers QUEUE_FULL. @defaultValue 10000 */
  maxQueue: number;
  /** JSON bytes of the payloads of all unfinished tasks beyond which pool.assign answers QUEUE_FULL. @defaultValue 268435456 */
  maxQueueBytes: number;
  /** JSON bytes a task.list page is filled up to (a single larger task is still returned, alone). @defaultValue 16777216 */
  maxListBytes: number;
  /** How long a task with an affinityKey waits for its sticky agent before going elsewhere. @defaultValue 2000 */
  affinityWaitMs: number;
  /** affinityKey → agent entries remembered. @defaultValue 10000 */
  maxAffinityKeys: number;
  /** Strategy for tasks that name none. @defaultValue 'RIPPLE_COORDINATION' */
  defaultStrategy: StrategyName;
  /** task.wait timeout when none is given. @defaultValue 30000 */
  defaultWaitTimeoutMs: number;
  /** Rates behind the pool's load forecast (forecastLoad, coordination.predictOverload). @defaultValue {} (see load-outlook.ts) */
  outlook: Partial<LoadOutlookOptions>;
  /** After a restart, how long an IN_PROGRESS task waits for its agent to reattach before it is requeued. @defaultValue 30000 */
  reattachGraceMs: number;
}

export const DEFAULT_POOL_OPTIONS: Readonly<PoolOptions> = {
  heartbeatIntervalMs: 5000,
  leaseTtlMs: 15000,
  removalGraceMs: 30000,
  defaultTaskTimeoutMs: 60000,
  defaultMaxAttempts: 3,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30000,
  maxRequeues: 10,
  maxQueue: 10000,
  maxQueueBytes: 256 * 1024 * 1024,
  maxListBytes: 16 * 1024 * 1024,
  affinityWaitMs: 2000,
  maxAffinityKeys: 10000,
  defaultStrategy: 'RIPPLE_COORDINATION',
  defaultWaitTimeoutMs: 30000,
  outlook: {},
  reattachGraceMs: 30000,
};
