import { LoadShare } from '../routing/load-share.js';

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
  /** Agents whose last compared report is remembered; the least recently updated is dropped first. @defaultValue 100000 */
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
 * Whether the daemon's own pool sees all of its agents' work. The same estimate RIPPLE keeps of
 * its own share (routing/load-share.ts: each new load report compared once with the own
 * utilization of that agent, a ratio of two fleet-wide EWMAs), read as a decision: about 1 when
 * this daemon is the agents' only source of work; well above it when other daemons or pools share
 * them, and then the pool's forecast (which knows only its own queue) would under-predict.
 */
export class PoolCoverage {
  readonly options: Readonly<PoolCoverageOptions>;
  private readonly estimate: LoadShare;

  constructor(options: Partial<PoolCoverageOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_POOL_COVERAGE_OPTIONS, ...options });
    this.estimate = new LoadShare({ weight: this.options.weight, maxAgents: this.options.maxAgents });
  }

  /** Compare the agent's newest load report (value at `reportedAt`) with the pool's own utilization now, once per report. */
  observe(agentId: string, reportedAt: number, reported: number, own: number, now: number): void {
    if (now - reportedAt > this.options.maxReportAgeMs || !this.estimate.isNew(agentId, reportedAt)) return;
    this.estimate.report(agentId, reportedAt, reported, own);
  }

  /** Σ reported ÷ Σ own load over the fleet's recent reports, never below 1 (1 until any own load was seen). */
  get share(): number {
    return this.estimate.factor();
  }

  /** Whether the pool's own view can stand for the agents' whole load. */
  get covers(): boolean {
    return this.estimate.reports < this.options.minReports || this.share <= this.options.maxShare;
  }
}
