/** What the pool looks like to the scaler at one instant. */
export interface ScalingSnapshot {
  /** Agents in the pool (the replicas being scaled). */
  current: number;
  /** Task slots in use across those agents. */
  usedCapacity: number;
  /** Task slots across those agents; utilization = usedCapacity / totalCapacity. */
  totalCapacity: number;
  /** Tasks waiting for an agent. */
  queueDepth: number;
}

/**
 * The minimal interface the AutoScaler needs from the agent pool, so tests pass a plain object.
 * Both scale calls may do less than asked and report how much they did.
 */
export interface ScalingTarget {
  /** The pool now. Synchronous: read from in-memory state. */
  snapshot(): ScalingSnapshot;
  /** Start up to `count` agents from `template`; resolves with how many started. */
  scaleUp(count: number, template: string): Promise<number>;
  /** Stop up to `count` agents (the pool picks which, idle ones first); resolves with how many stopped. */
  scaleDown(count: number): Promise<number>;
  /** Whether scaleUp can start agents from `template` (a policy naming another is refused). @defaultValue every template */
  hasTemplate?(template: string): boolean;
}
