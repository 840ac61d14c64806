/** Weight of one success once an agent has this many: about the last 1 / 0.1 = 10 successes count. */
const WEIGHT = 0.1;
/** Effective sample count of the EWMA once warmed up, (2 − w) / w: what its noise is divided by. */
const EFFECTIVE_SAMPLES = (2 - WEIGHT) / WEIGHT;
/** Weight of one deviation in the fleet's within-agent spread (the prior of a new agent's). */
const FLEET_WEIGHT = 0.05;
/** Latencies are averaged in the log domain; this floor keeps ln finite for a 0 ms attempt. */
const MIN_LATENCY_MS = 1e-3;
/**
 * One-sided normal quantile of the homogeneity test (99.9%): speeds count as different only well
 * beyond noise. Not 99%: latencies over every load mix queueing into the service time, so their
 * logs have heavier tails than the normal the test assumes; at 99% the homogeneous control was
 * called "distinguishable" for about a fifth of its decisions at 90% load, each time routing by
 * noisy speed estimates (mean ×1.024 of LEAST_LOADED's there, ×1.007 at 99.9%; a 3× slower tier is
 * still told apart within twenty tasks per agent).
 */
const Z_999 = 3.09;

interface Level {
  log: number;
  n: number;
  /** EWMA of squared deviations of ln(latency) from `log`: the agent's own spread. */
  logVar: number;
  /** The (mean, noise of the mean) this agent last added to the fleet's sums, and whether it is in them. */
  countedMean: number;
  countedNoise: number;
  counted: boolean;
}

/**
 * Each agent's own typical success latency, over every load its tasks met: a log-domain EWMA
 * (weight 1/n for the first successes, then 0.1), not shrunk towards the fleet. RIPPLE's hold
 * decision reads it (see wait-advice.ts). It also tells whether the fleet's agents are
 * distinguishable by speed at all (`indistinguishable`). Holds at most `maxAgents` agents,
 * dropping the least recently updated first. Updating allocates only for a new agent; reading is O(1).
 */
export class ServiceLevels {
  private readonly levels = new Map<string, Level>();
  private fleetLogVar = 1;
  /** Over agents with a level: Σ m_i, Σ m_i², Σ noise(m_i) and their count. */
  private sumMean = 0;
  private sumMeanSq = 0;
  private sumNoise = 0;
  private measured = 0;

  constructor(private readonly maxAgents = 100_000) {}

  record(agentId: string, latencyMs: number): void {
    const x = Math.log(Math.max(latencyMs, MIN_LATENCY_MS));
    let level = this.levels.get(agentId);
    if (level === undefined) {
      if (this.levels.size >= this.maxAgents) this.forget(this.levels.keys().next().value!);
      level = { log: x, n: 1, logVar: this.fleetLogVar, countedMean: 0, countedNoise: 0, counted: false };
      this.levels.set(agentId, level);
    } else {
      // Re-insert so the map's order stays least recently updated first.
      this.levels.delete(agentId);
      this.levels.set(agentId, level);
      level.n++;
      const weight = Math.max(WEIGHT, 1 / level.n);
      const dev = (x - level.log) * (x - level.log);
      level.log += weight * (x - level.log);
      level.logVar += weight * (dev - level.logVar);
      this.fleetLogVar += FLEET_WEIGHT * (dev - this.fleetLogVar);
    }
    this.uncount(level);
    level.countedMean = level.log;
    level.countedNoise = level.logVar / Math.min(level.n, EFFECTIVE_SAMPLES);
    level.counted = true;
    this.sumMean += level.countedMean;
    this.sumMeanSq += level.countedMean * level.countedMean;
    this.sumNoise += level.countedNoise;
    this.measured++;
  }

  /** The agent's typical success latency, ms; undefined before its first success. */
  latencyMs(agentId: string): number | undefined {
    const level = this.levels.get(agentId);
    return level === undefined ? undefined : Math.exp(level.log);
  }

  /**
   * Whether the agents measured so far (at least two) are statistically indistinguishable by
   * speed: the spread of their log levels is within what their own sampling noise explains
   * (under equal speeds, spread ÷ mean noise follows χ²(k − 1) / (k − 1); the test is one-sided at
   * 99.9%, by the Wilson–Hilferty approximation). False with fewer than two measured agents.
   */
  indistinguishable(): boolean {
    const k = this.measured;
    if (k < 2) return false;
    const spread = (this.sumMeanSq - (this.sumMean * this.sumMean) / k) / (k - 1);
    const noise = this.sumNoise / k;
    const d = k - 1;
    const c = 2 / (9 * d);
    const critical = (1 - c + Z_999 * Math.sqrt(c)) ** 3;
    return spread <= critical * noise;
  }

  forget(agentId: string): void {
    const level = this.levels.get(agentId);
    if (level !== undefined) this.uncount(level);
    this.levels.delete(agentId);
  }

  /** Take the agent's last contribution out of the fleet's sums. */
  private uncount(level: Level): void {
    if (!level.counted) return;
    this.sumMean -= level.countedMean;
    this.sumMeanSq -= level.countedMean * level.countedMean;
    this.sumNoise -= level.countedNoise;
    this.measured--;
    level.counted = false;
    if (this.measured === 0) this.sumMean = this.sumMeanSq = this.sumNoise = 0; // no float residue
  }
}
