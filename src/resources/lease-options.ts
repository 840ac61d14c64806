/** Settings of the LeaseManager; the daemon fills them from the config file's `leases` section. */
export interface LeaseOptions {
  /** Longest lease a client may ask for; a longer ttl is capped (expiresAt tells the real one). @defaultValue 3_600_000 */
  maxTtlMs: number;
  /** Longest time an acquire may wait in the queue; a longer waitMs is capped. @defaultValue 300_000 */
  maxWaitMs: number;
  /** Waiters queued per resource before acquire fails with LEASE_QUEUE_FULL. @defaultValue 1000 */
  maxWaitersPerResource: number;
  /** Leases one agent may hold, plus acquires it has waiting, before LEASE_LIMIT. @defaultValue 1000 */
  maxLeasesPerAgent: number;
  /** Conflict events kept for coordination.conflicts and conflictStats. @defaultValue 1000 */
  conflictHistory: number;
  /**
   * The first fencing token handed out. Tokens come from one daemon-wide counter, so they strictly
   * increase per resource; starting from the clock (ms × 1000) keeps them increasing across a
   * daemon restart, so a guard that remembers the highest token it saw keeps working.
   * @defaultValue clock.now() * 1000
   */
  firstFencingToken: number | undefined;
}

export const DEFAULT_LEASE_OPTIONS: Readonly<LeaseOptions> = {
  maxTtlMs: 3_600_000,
  maxWaitMs: 300_000,
  maxWaitersPerResource: 1000,
  maxLeasesPerAgent: 1000,
  conflictHistory: 1000,
  firstFencingToken: undefined,
};

/** The config file's `leases` section (seconds) as LeaseOptions (milliseconds). */
export function leaseOptionsFromFile(section: {
  maxTtlSeconds: number;
  maxWaitSeconds: number;
  maxWaitersPerResource: number;
  maxLeasesPerAgent: number;
  conflictHistory: number;
}): Partial<LeaseOptions> {
  return {
    maxTtlMs: Math.round(section.maxTtlSeconds * 1000),
    maxWaitMs: Math.round(section.maxWaitSeconds * 1000),
    maxWaitersPerResource: section.maxWaitersPerResource,
    maxLeasesPerAgent: section.maxLeasesPerAgent,
    conflictHistory: section.conflictHistory,
  };
}
