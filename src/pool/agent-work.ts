/** How many recent attempt latencies an agent keeps for its mean and p95. */
const LATENCY_SAMPLES = 128;

/**
 * One agent's finished attempts as this pool saw them: completed and failed counts and the
 * latency of its recent attempts (a ring of the last 128), for agent.get.
 */
export class AgentWork {
  completed = 0;
  failed = 0;
  private readonly latencies: number[] = [];
  private next = 0;

  /** An attempt on this agent ended (cancelled and lost attempts are not counted). */
  record(outcome: 'completed' | 'failed', latencyMs: number): void {
    if (outcome === 'completed') this.completed++;
    else this.failed++;
    if (this.latencies.length < LATENCY_SAMPLES) this.latencies.push(latencyMs);
    else this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % LATENCY_SAMPLES;
  }

  /** Mean and p95 (nearest rank) of the recent latencies; empty before any attempt ended. */
  latency(): { mean?: number; p95?: number } {
    const n = this.latencies.length;
    if (n === 0) return {};
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const mean = sorted.reduce((s, v) => s + v, 0) / n;
    return { mean, p95: sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]! };
  }
}
