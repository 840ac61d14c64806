import type { ScalingPolicy } from './scaling-policy.js';
import type { ScalingStore } from './scaling-store.js';

/** ScalingStore in process memory: nothing survives a restart. */
export class MemoryScalingStore implements ScalingStore {
  private saved: ScalingPolicy | undefined;
  private readonly counts = new Map<string, number>();
  private interval: number | undefined;

  policy(): ScalingPolicy | undefined {
    return this.saved && { ...this.saved };
  }

  savePolicy(policy: ScalingPolicy): void {
    this.saved = { ...policy };
  }

  spawnCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  setSpawnCount(template: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`spawn count must be a non-negative integer, got ${count}`);
    if (count === 0) this.counts.delete(template);
    else this.counts.set(template, count);
  }

  autoScaling(): number | undefined {
    return this.interval;
  }

  saveAutoScaling(intervalSeconds: number | undefined): void {
    this.interval = intervalSeconds;
  }
}
