/** Weight of one success once an agent has this many: about the last 1 / 0.1 = 10 successes count. */
const WEIGHT = 0.1;
/** Latencies are averaged in the log domain; this floor keeps ln finite for a 0 ms attempt. */
const MIN_LATENCY_MS = 1e-3;

/**
 * Each agent's own typical success latency, over every load its tasks met: a log-domain EWMA
 * (weight 1/n for the first successes, then 0.1), not shrunk towards the fleet. RIPPLE's hold
 * decision reads it (see wait-advice.ts). Holds at most `maxAgents` agents, dropping the least
 * recently updated first. Updating allocates only for a new agent; reading is O(1).
 */
export class ServiceLevels {
  private readonly levels = new Map<string, { log: number; n: number }>();

  constructor(private readonly maxAgents = 100_000) {}

  record(agentId: string, latencyMs: number): void {
    const x = Math.log(Math.max(latencyMs, MIN_LATENCY_MS));
    const level = this.levels.get(agentId);
    if (level === undefined) {
      if (this.levels.size >= this.maxAgents) this.levels.delete(this.levels.keys().next().value!);
      this.levels.set(agentId, { log: x, n: 1 });
      return;
    }
    // Re-insert so the map's order stays least recently updated first.
    this.levels.delete(agentId);
    this.levels.set(agentId, level);
    level.n++;
    level.log += Math.max(WEIGHT, 1 / level.n) * (x - level.log);
  }

  /** The agent's typical success latency, ms; undefined before its first success. */
  latencyMs(agentId: string): number | undefined {
    const level = this.levels.get(agentId);
    return level === undefined ? undefined : Math.exp(level.log);
  }

  forget(agentId: string): void {
    this.levels.delete(agentId);
  }
}
