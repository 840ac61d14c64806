/**
 * The hidden truth of a simulated fleet: what each agent really is, which the daemon never sees
 * (it sees only registrations, task outcomes and the agents' own, possibly wrong, signals).
 */

/** What an agent does with the tasks it gets. */
export type AgentRole =
  /** Works through its queue; fails a small share of tasks at random. */
  | 'normal'
  /** Fails every task at once with a retryable error, and reports healthy signals. */
  | 'sinkhole'
  /** Accepts tasks and never answers (ignores task.cancel); the daemon's timeout ends them. */
  | 'hang'
  /** Slow, small, and says otherwise: registers more slots and reports rosy signals. */
  | 'liar'
  /** Works normally, but its connection drops once and it registers again later. */
  | 'crash';

/** Signal values an agent reports instead of (or scaled from) the truth. */
export interface Lies {
  quality?: number;
  capacity?: number;
  availability?: number;
  /** Reported load = true load × loadFactor. */
  loadFactor?: number;
  /** Reported latency = true latency × latencyFactor. */
  latencyFactor?: number;
}

export interface AgentSpec {
  readonly agentId: string;
  readonly role: AgentRole;
  /** True parallelism: tasks served at once; the rest wait in the agent's own FIFO queue. */
  readonly workers: number;
  /** Slots the agent registers with the pool (the daemon's capacity); usually 2 × workers. */
  readonly capacity: number;
  /** Service-time multiplier (1 = the reference agent; 3 = three times slower). */
  readonly speed: number;
  /** Price of one attempt, in [0,1]; also what it reports as its cost signal. */
  readonly cost: number;
  /** True quality in [0,1] (reported as the quality signal). */
  readonly quality: number;
  /** Share of served tasks that fail (retryable) at the end of their service. */
  readonly failureRate: number;
  readonly lies?: Lies;
  /** For role 'crash': connection drops at `at` and the agent registers again at `back` (ms from start). */
  readonly crash?: { at: number; back: number };
}

/** A period when an agent serves `factor` times slower than usual (ms from start). */
export interface SlowEpisode {
  readonly agent: number;
  readonly from: number;
  readonly to: number;
  readonly factor: number;
}

/** How agents report signals. */
export interface ReportSpec {
  /** Mean period between reports, ms (each agent jitters it by ±20% and starts at a random phase). */
  periodMs: number;
  /** Standard deviation of the noise added to load, latency and quality. */
  noise: number;
  /** Time between measuring and the signal reaching the daemon, ms. */
  lagMs: number;
  /** Confidence sent with every signal. */
  confidence: number;
}

/** One concrete run's world, built from a scenario, a variant and a seed. */
export interface World {
  readonly agents: readonly AgentSpec[];
  readonly episodes: readonly SlowEpisode[];
  /** Independent daemons (PoolService + AgentRouter) sharing the agents and the coordination signals. */
  readonly routers: number;
  readonly report: ReportSpec;
  /** Mean task work on the reference agent, ms (lognormal). */
  readonly meanWorkMs: number;
  /** Log-space standard deviation of task work. */
  readonly sigma: number;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** End-to-end deadline for SLO attainment, ms. */
  readonly deadlineMs: number;
  /** Arrivals happen in [0, durationMs). */
  readonly durationMs: number;
  /** Tasks submitted before this are run but not measured. */
  readonly warmupMs: number;
  /** Throughput of the whole fleet at 100% load, tasks per ms (time-averaged over the run). */
  readonly capacityRate: number;
  /** Offered load at time t (ms from start), as a fraction of capacityRate. */
  loadAt(t: number): number;
  /** Highest value of loadAt over the run (for thinning). */
  readonly peakLoad: number;
  /** Evaluate predictOverload against what happened (scenario 5). */
  readonly predict: boolean;
}

/** Service-time multiplier of agent `index` at time t: its speed times any slow episode. */
export function slownessAt(world: World, index: number, t: number): number {
  let factor = world.agents[index]!.speed;
  for (const e of world.episodes) if (e.agent === index && t >= e.from && t < e.to) factor *= e.factor;
  return factor;
}

/** Whether an agent does useful work at all (counts towards capacity and utilization). */
export function doesWork(spec: AgentSpec): boolean {
  return spec.role !== 'sinkhole' && spec.role !== 'hang';
}
