import type { z } from 'zod';
import type { Metrics } from '../observability/metrics.js';
import type { PoolService } from '../pool/pool-service.js';
import type { poolStatus } from '../schemas/pool.js';

export type PoolStatus = z.infer<typeof poolStatus.result>;

/** pool.status: the pool's snapshot plus queue-wait and run-time percentiles from the metrics. */
export async function poolStatusOf(pool: PoolService, metrics: Metrics): Promise<PoolStatus> {
  const [wait, run] = await Promise.all([
    metrics.histogramQuantiles(metrics.taskWait, [0.5, 0.95, 0.99]),
    metrics.histogramQuantiles(metrics.taskRun, [0.5, 0.95, 0.99]),
  ]);
  const p = (v: number[]) => ({ p50: v[0]!, p95: v[1]!, p99: v[2]! });
  return { ...pool.snapshot(), latency: { queueWait: p(wait), run: p(run) } };
}
