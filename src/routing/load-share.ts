/** Settings of LoadShare. */
export interface LoadShareOptions {
  /** Weight of one load report in the fleet-wide sums (once warmed up; 1/n before). @defaultValue 0.02 */
  weight: number;
  /** Agents whose newest report time is remembered; the least recently updated is dropped first. @defaultValue 100000 */
  maxAgents: number;
}

export const DEFAULT_LOAD_SHARE_OPTIONS: Readonly<LoadShareOptions> = {
  weight: 0.02,
  maxAgents: 100_000,
};

/**
 * How much of the agents' load this router sends, learned from their load reports: the factor by
 * which each agent's real utilization exceeds this router's own in-flight count there. With one
 * daemon it is about 1; with several daemons or pools sharing the agents (or work from outside
 * coordd) it is larger, and a router that ignored it would think busy agents idle.
 *
 * Each new load report is compared, once, with this router's own utilization of the agent when it
 * first sees the report. The factor is a ratio of two fleet-wide EWMAs over those reports
 * (Σ reported load / Σ own utilization), not one per agent: per agent, a stale report says little
 * about the agent's load now, and routers that all acted on the same stale per-agent reading
 * would herd. The fleet-wide share changes slowly and scales every agent alike. It is never
 * below 1: this router's own count is exact, so an agent cannot look emptier than that.
 */
export class LoadShare {
  readonly options: Readonly<LoadShareOptions>;
  private readonly seen = new Map<string, number>();
  private reported = 0;
  private own = 0;
  private reportCount = 0;

  constructor(options: Partial<LoadShareOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_LOAD_SHARE_OPTIONS, ...options });
    const { weight, maxAgents } = this.options;
    if (!(weight > 0 && weight <= 1 && maxAgents >= 1)) throw new TypeError('LoadShare options: weight in (0, 1], maxAgents >= 1');
  }

  /** Whether a report recorded at `signalAt` is newer than the last one taken in for the agent. */
  isNew(agentId: string, signalAt: number): boolean {
    const at = this.seen.get(agentId);
    return at === undefined || signalAt > at;
  }

  /** Take in a new load report (`load` in [0, 1]) seen while this router's own utilization of the agent was `own`. */
  report(agentId: string, signalAt: number, load: number, own: number): void {
    this.seen.delete(agentId); // re-inserted: Map order is least recently updated first
    this.seen.set(agentId, signalAt);
    if (this.seen.size > this.options.maxAgents) this.seen.delete(this.seen.keys().next().value!);
    if (!Number.isFinite(load) || !Number.isFinite(own) || own < 0) return;
    this.reportCount++;
    const w = Math.max(this.options.weight, 1 / this.reportCount);
    this.reported += w * (Math.max(0, load) - this.reported);
    this.own += w * (own - this.own);
  }

  /** Real utilization ÷ this router's own, >= 1; 1 until a report has been compared with some load of its own. */
  factor(): number {
    if (!(this.own > 0)) return 1;
    const f = this.reported / this.own;
    return f > 1 ? f : 1;
  }

  /** Reports taken in so far (how much the factor rests on). */
  get reports(): number {
    return this.reportCount;
  }

  /** Forget an agent's report time. */
  forget(agentId: string): boolean {
    return this.seen.delete(agentId);
  }
}
