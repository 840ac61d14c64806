import type { ScalingPolicy } from './scaling-policy.js';

/**
 * Where the scaling policy, whether auto-scaling runs, and the spawn counts per template live, so that after a restart the
 * daemon starts the workers its policy or the last pool.spawn calls asked for. Synchronous like
 * TaskStore; every implementation must pass test/unit/pool/scaling/scaling-store-conformance.ts.
 */
export interface ScalingStore {
  /** The policy last saved, or undefined when none was. */
  policy(): ScalingPolicy | undefined;
  /** Replace the saved policy. */
  savePolicy(policy: ScalingPolicy): void;
  /** Workers to keep per template (templates at 0 are left out). */
  spawnCounts(): Record<string, number>;
  /** Set how many workers of `template` should run; 0 forgets the template. */
  setSpawnCount(template: string, count: number): void;
  /** The interval of timer-driven scaling (pool.scaling.start) while it runs, or undefined when stopped. */
  autoScaling(): number | undefined;
  /** Save that timer-driven scaling runs every `intervalSeconds`, or (undefined) that it is stopped. */
  saveAutoScaling(intervalSeconds: number | undefined): void;
}
