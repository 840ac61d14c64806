/**
 * The daemon's own forecast of an agent's load, when it holds the agent (its pool): from the
 * tasks it queues and dispatches itself, so it sees a backlog and its drain before any agent
 * reports them. Undefined for an agent it does not hold or knows nothing about yet.
 */
export interface LocalLoadSource {
  forecastLoad(agentId: string, horizonSeconds: number): { predictedLoad: number; confidence: number } | undefined;
  /** The agent's in-flight ÷ capacity now as this daemon sees it, undefined if it does not hold it. O(1). */
  utilization(agentId: string): number | undefined;
}
