import type { Observation } from './strategy.js';

/** Settings of the router's observed statistics. */
export interface ObservedStatsOptions {
  /** Time constant τ of the peak-sensitive latency EWMA (Finagle/Linkerd), ms. @defaultValue 10000 */
  decayMs: number;
  /** Latency assumed for an agent never measured while the fleet has no measurement either, ms. @defaultValue 1000 */
  defaultRttMs: number;
  /**
   * A failed, timed-out or lost attempt enters the peak EWMA as at least this multiple of the
   * reference latency, so an agent that fails fast never looks fast. @defaultValue 4
   */
  failurePenalty: number;
  /** Weight of one attempt in the failure-rate and failure-latency EWMAs (once warmed up). @defaultValue 0.2 */
  sampleWeight: number;
  /** Weight of one success in an agent's typical (log-domain) latency and its spread (once warmed up). @defaultValue 0.1 */
  latencyWeight: number;
  /** Time constant with which an unobserved agent's failure rate fades and its latency relaxes to the reference, ms. @defaultValue 30000 */
  stalenessMs: number;
  /** An agent not observed for this long counts as never measured. @defaultValue 300000 */
  forgetAfterMs: number;
  /** Agents tracked at most; the least recently observed is dropped first. @defaultValue 100000 */
  maxAgents: number;
}

export const DEFAULT_OBSERVED_STATS_OPTIONS: Readonly<ObservedStatsOptions> = {
  decayMs: 10_000,
  defaultRttMs: 1_000,
  failurePenalty: 4,
  sampleWeight: 0.2,
  latencyWeight: 0.1,
  stalenessMs: 30_000,
  forgetAfterMs: 300_000,
  maxAgents: 100_000,
};

/** Weight of one success in the fleet-wide reference latency (a slow, robust average). */
const FLEET_WEIGHT = 0.05;
/** Latencies are averaged in the log domain; this floor keeps ln finite for a 0 ms attempt. */
const MIN_LATENCY_MS = 1e-3;

/** One agent's observed statistics at a given time (a copy, for diagnostics and tests). */
export interface AgentObservedStats {
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  readonly peakLatencyMs: number;
  readonly typicalLatencyMs: number;
  readonly failureRate: number;
  readonly failureLatencyMs: number;
  readonly lastAt: number;
}

/** What strategies read. Every method is allocation-free; an unknown or forgotten agent reads as never measured. */
export interface ObservedStatsView {
  /** Whether the agent was observed less than forgetAfterMs before `now`. */
  has(agentId: string, now: number): boolean;
  /**
   * Peak-sensitive EWMA of attempt latency (failures penalised), decayed towards 0 since its last
   * sample as Finagle and Linkerd read it; defaultRttMs when never measured.
   */
  peakLatencyMs(agentId: string, now: number): number;
  /**
   * Typical latency of successful attempts: a log-domain EWMA shrunk towards the fleet reference
   * by how much of its difference is sampling noise (empirical Bayes), relaxed towards the
   * reference as it goes stale; the reference when never measured.
   */
  typicalLatencyMs(agentId: string, now: number): number;
  /** Share of recent attempts that failed, timed out or were lost, in [0, 1]; fades to 0 when unobserved. */
  failureRate(agentId: string, now: number): number;
  /** EWMA of the latency of failed attempts (how long a failure costs); 0 when none. */
  failureLatencyMs(agentId: string): number;
  /** Fleet-wide typical success latency (geometric EWMA); defaultRttMs until the first success. */
  referenceLatencyMs(): number;
}

/** Mutable per-agent record; updated in place so observing allocates nothing after the first time. */
class AgentRecord {
  lastAt: number;
  attempts = 0;
  successes = 0;
  failures = 0;
  peakMs = 0;
  peakAt = 0;
  logTypical = 0;
  /** EWMA of squared deviations of ln(latency) from logTypical: the agent's own spread. */
  logVar = 0;
  /** The (mean, variance of the mean) this agent last added to the fleet's sums, and whether it is in them. */
  countedMean = 0;
  countedVar = 0;
  counted = false;
  lastSuccessAt = 0;
  failureRate = 0;
  failureMs = 0;

  constructor(at: number) {
    this.lastAt = at;
  }
}

/**
 * Per-agent statistics the router learns from finished attempts: the peak-sensitive latency EWMA
 * of PEAK_EWMA, the typical success latency, failure rate and failure cost RIPPLE_COORDINATION
 * uses, and a fleet-wide reference latency. All time comes from the observations' `at` and the
 * callers' `now`; nothing reads a clock.
 */
export class ObservedStats implements ObservedStatsView {
  readonly options: Readonly<ObservedStatsOptions>;
  private readonly agents = new Map<string, AgentRecord>();
  private logFleet = 0;
  private fleetSamples = 0;
  /** Fleet EWMA of within-agent squared deviations of ln(latency): the prior spread of a new agent. */
  private fleetLogVar = 1;
  /** Over measured agents: Σ m_i, Σ m_i², Σ var(m_i) and their count, for the between-agent variance. */
  private sumMean = 0;
  private sumMeanSq = 0;
  private sumVar = 0;
  private measured = 0;

  constructor(options: Partial<ObservedStatsOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_OBSERVED_STATS_OPTIONS, ...options });
    for (const [key, value] of Object.entries(this.options)) {
      if (!(typeof value === 'number' && value > 0)) throw new TypeError(`ObservedStats option ${key} must be a positive number`);
    }
    if (this.options.sampleWeight > 1 || this.options.latencyWeight > 1)
      throw new TypeError('ObservedStats options sampleWeight and latencyWeight must be <= 1');
  }

  /** Agents currently tracked (forgotten ones included until evicted). */
  get size(): number {
    return this.agents.size;
  }

  /** Learn from one finished attempt. Ignores observations with a non-finite latency or time. */
  record(obs: Observation): void {
    if (!Number.isFinite(obs.latencyMs) || !Number.isFinite(obs.at)) return;
    const { options } = this;
    const at = obs.at;
    const latency = Math.max(0, obs.latencyMs);
    let r = this.agents.get(obs.agentId);
    if (r === undefined || at - r.lastAt >= options.forgetAfterMs) {
      if (r !== undefined) this.dropBetween(r);
      r = new AgentRecord(at);
    } else {
      this.agents.delete(obs.agentId); // re-inserted below: Map order is least recently observed first
    }
    this.agents.set(obs.agentId, r);
    if (this.agents.size > options.maxAgents) {
      const oldest = this.agents.keys().next().value!;
      this.dropBetween(this.agents.get(oldest)!);
      this.agents.delete(oldest);
    }

    const failed = obs.outcome !== 'completed';
    // Failure rate: fade with the time since the last attempt, then an EWMA whose weight starts at
    // 1/2 (one pseudo-success of prior) so the first failures count fully, floored at sampleWeight.
    const fade = Math.exp(-Math.max(0, at - r.lastAt) / options.stalenessMs);
    const f = r.failureRate * fade;
    r.failureRate = f + Math.max(options.sampleWeight, 1 / (r.attempts + 2)) * ((failed ? 1 : 0) - f);
    r.attempts++;

    const reference = this.referenceLatencyMs();
    if (failed) {
      r.failureMs += Math.max(options.sampleWeight, 1 / (r.failures + 1)) * (latency - r.failureMs);
      r.failures++;
    } else {
      const y = Math.log(Math.max(latency, MIN_LATENCY_MS));
      if (r.successes === 0) {
        r.logTypical = y;
        r.logVar = this.fleetLogVar;
      } else {
        const prev = relax(r.logTypical, Math.log(reference), at - r.lastSuccessAt, options.stalenessMs);
        const weight = Math.max(options.latencyWeight, 1 / (r.successes + 1));
        const dev = (y - prev) * (y - prev);
        r.logTypical = prev + weight * (y - prev);
        r.logVar += weight * (dev - r.logVar);
        this.fleetLogVar += FLEET_WEIGHT * (dev - this.fleetLogVar);
      }
      r.successes++;
      r.lastSuccessAt = Math.max(r.lastSuccessAt, at);
      this.logFleet += Math.max(FLEET_WEIGHT, 1 / (this.fleetSamples + 1)) * (y - this.logFleet);
      this.fleetSamples++;
      this.dropBetween(r);
      r.countedMean = r.logTypical;
      r.countedVar = this.meanVariance(r);
      r.counted = true;
      this.sumMean += r.countedMean;
      this.sumMeanSq += r.countedMean * r.countedMean;
      this.sumVar += r.countedVar;
      this.measured++;
    }

    // Peak EWMA: a sample above the estimate replaces it at once; one below decays in with weight
    // exp(-Δt/τ). A failure counts as at least failurePenalty × the latency a success would take.
    const own = r.successes > 0 ? Math.exp(r.logTypical) : 0;
    const sample = failed ? Math.max(latency, options.failurePenalty * Math.max(reference, own)) : latency;
    if (r.attempts === 1 || sample > r.peakMs) {
      r.peakMs = sample;
    } else {
      const w = Math.exp(-Math.max(0, at - r.peakAt) / options.decayMs);
      r.peakMs = r.peakMs * w + sample * (1 - w);
    }
    r.peakAt = Math.max(r.peakAt, at);
    r.lastAt = Math.max(r.lastAt, at);
  }

  has(agentId: string, now: number): boolean {
    return this.live(agentId, now) !== undefined;
  }

  peakLatencyMs(agentId: string, now: number): number {
    const r = this.live(agentId, now);
    if (r === undefined) return this.options.defaultRttMs;
    return r.peakMs * Math.exp(-Math.max(0, now - r.peakAt) / this.options.decayMs);
  }

  typicalLatencyMs(agentId: string, now: number): number {
    const r = this.live(agentId, now);
    const reference = this.referenceLatencyMs();
    if (r === undefined || r.successes === 0) return reference;
    // Empirical Bayes (James–Stein): keep the share τ² / (τ² + var) of the agent's distance from
    // the fleet, where τ² is the real spread between agents and var the noise in its own mean.
    // Identical agents then read alike however noisy their samples, while a really slow one
    // stands out as soon as its samples say so beyond the noise.
    const mu = Math.log(reference);
    const tau2 = this.betweenVariance();
    const keep = tau2 > 0 ? tau2 / (tau2 + this.meanVariance(r)) : 0;
    return Math.exp(relax(mu + keep * (r.logTypical - mu), mu, now - r.lastSuccessAt, this.options.stalenessMs));
  }

  /** The agent's own typical success latency, neither shrunk nor relaxed; undefined when it has none. */
  ownLatencyMs(agentId: string, now: number): number | undefined {
    const r = this.live(agentId, now);
    return r === undefined || r.successes === 0 ? undefined : Math.exp(r.logTypical);
  }

  failureRate(agentId: string, now: number): number {
    const r = this.live(agentId, now);
    if (r === undefined) return 0;
    return r.failureRate * Math.exp(-Math.max(0, now - r.lastAt) / this.options.stalenessMs);
  }

  failureLatencyMs(agentId: string): number {
    return this.agents.get(agentId)?.failureMs ?? 0;
  }

  referenceLatencyMs(): number {
    return this.fleetSamples > 0 ? Math.exp(this.logFleet) : this.options.defaultRttMs;
  }

  /**
   * Estimated real variance of ln(typical latency) between agents (τ²): the spread of the agents'
   * means less the part their sampling noise alone explains; >= 0, and 0 until two are measured.
   */
  betweenVariance(): number {
    const k = this.measured;
    if (k < 2) return 0;
    const spread = (this.sumMeanSq - (this.sumMean * this.sumMean) / k) / (k - 1);
    return Math.max(0, spread - this.sumVar / k);
  }

  /** A copy of one agent's statistics at `now`, or undefined when it is unknown or forgotten. */
  get(agentId: string, now: number): AgentObservedStats | undefined {
    const r = this.live(agentId, now);
    if (r === undefined) return undefined;
    return {
      attempts: r.attempts,
      successes: r.successes,
      failures: r.failures,
      peakLatencyMs: this.peakLatencyMs(agentId, now),
      typicalLatencyMs: this.typicalLatencyMs(agentId, now),
      failureRate: this.failureRate(agentId, now),
      failureLatencyMs: r.failureMs,
      lastAt: r.lastAt,
    };
  }

  /** Drop an agent (e.g. it deregistered for good); returns whether it was tracked. */
  forget(agentId: string): boolean {
    const r = this.agents.get(agentId);
    if (r !== undefined) this.dropBetween(r);
    return this.agents.delete(agentId);
  }

  /** Sampling variance of an agent's log-mean: its spread over the EWMA's effective sample count. */
  private meanVariance(r: AgentRecord): number {
    const a = this.options.latencyWeight;
    return r.logVar / Math.min(r.successes, (2 - a) / a);
  }

  /** Take the agent's last contribution out of the between-agent sums. */
  private dropBetween(r: AgentRecord): void {
    if (!r.counted) return;
    this.sumMean -= r.countedMean;
    this.sumMeanSq -= r.countedMean * r.countedMean;
    this.sumVar -= r.countedVar;
    this.measured--;
    r.counted = false;
    if (this.measured === 0) this.sumMean = this.sumMeanSq = this.sumVar = 0; // no float residue
  }

  private live(agentId: string, now: number): AgentRecord | undefined {
    const r = this.agents.get(agentId);
    return r !== undefined && now - r.lastAt < this.options.forgetAfterMs ? r : undefined;
  }
}

/** `value` pulled towards `target` with weight exp(-age/τ) left on `value` (log-domain staleness). */
function relax(value: number, target: number, ageMs: number, tauMs: number): number {
  const w = Math.exp(-Math.max(0, ageMs) / tauMs);
  return target + w * (value - target);
}
