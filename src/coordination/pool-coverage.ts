/** Settings of PoolCoverage. */
export interface PoolCoverageOptions {
  /** Weight of one load report in the fleet-wide sums (1/n before that many). @defaultValue 0.02 */
  weight: number;
  /** Reported ÷ own load above which the pool is taken to see only part of the agents' work. @defaultValue 1.5 */
  maxShare: number;
  /** Reports compared before the share is believed. @defaultValue 20 */
  minReports: number;
  /** Reports older than this (ms) when first compared say too little about now and are skipped. @defaultValue 10000 */
  maxReportAgeMs: number;
  /** Agents whose last compared report is remembered; the oldest entry is dropped first. @defaultValue 100000 */
  maxAgents: number;
}

export const DEFAULT_POOL_COVERAGE_OPTIONS: Readonly<PoolCoverageOptions> = {
  weight: 0.02,
  maxShare: 1.5,
  minReports: 20,
  maxReportAgeMs: 10_000,
  maxAgents: 100_000,
};

/**
 * Whether the daemon's own pool sees all of its agents' work, learned from their load reports:
 * each new report is compared, once, with the pool's own utilisation of that agent, and the ratio
 * of two fleet-wide EWMAs (Σ reported ÷ Σ own) is the share. About 1 when this daemon is the
 * agents' only source of work; well above it when other daemons or pools share them, and then the
 * pool's forecast (which knows only its own queue) would under-predict. Fleet-wide rather than per
 * agent, for the reason RIPPLE's load share is (see routing/load-share.ts): one stale report says
 * little, a deployment's shape changes slowly.
 */
export class PoolCoverage {
  readonly options: Readonly<PoolCoverageOptions>;
  private readonly compared = new Map<string, number>();
  private reported = 0;
  private own = 0;
  private reports = 0;

  constructor(options: Partial<PoolCoverageOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_POOL_COVERAGE_OPTIONS, ...options });
  }

  /** Compare the agent's newest load report (value at `reportedAt`) with the pool's own utilisation now, once per report. */
  observe(agentId: string, reportedAt: number, reported: number, own: number, now: number): void {
    if (this.compared.get(agentId) === reportedAt || now - reportedAt > this.options.maxReportAgeMs) return;
    this.compared.delete(agentId);
    this.compared.set(agentId, reportedAt);
    if (this.compared.size > this.options.maxAgents) this.compared.delete(this.compared.keys().next().value!);
    this.reports++;
    const w = Math.max(this.options.weight, 1 / this.reports);
    this.reported += w * (reported - this.reported);
    this.own += w * (own - this.own);
  }

  /** Σ reported ÷ Σ own load over the fleet's recent reports (1 until any own load was seen). */
  get share(): number {
    return this.own > 0 ? this.reported / this.own : 1;
  }

  /** Whether the pool's own view can stand for the agents' whole load. */
  get covers(): boolean {
    return this.reports < this.options.minReports || this.share <= this.options.maxShare;
  }
}
