import type { Random } from '../../src/random.js';
import { randomInt } from '../../src/random.js';
import { exponential, stream, uniform } from './distributions.js';
import { doesWork, type AgentSpec, type ReportSpec, type SlowEpisode, type World } from './model.js';

/** Mean task work on the reference agent, ms. Every time scale below is a multiple of it. */
export const MEAN_WORK_MS = 1000;
/** Log-space standard deviation of task work: p99 ≈ 6× the mean, p99.9 ≈ 13×. */
export const WORK_SIGMA = 1.0;
export const FLEET_SIZE = 16;
export const TIMEOUT_MS = 30 * MEAN_WORK_MS;
/** SLO: done end to end within 5× the mean service time. */
export const DEADLINE_MS = 5 * MEAN_WORK_MS;
export const WARMUP_FRACTION = 0.1;
export const DEFAULT_REPORT: Readonly<ReportSpec> = { periodMs: MEAN_WORK_MS, noise: 0.05, lagMs: 0.2 * MEAN_WORK_MS, confidence: 0.9 };

/** One point of a scenario's sweep. */
export interface Variant {
  readonly key: string;
  readonly label: string;
  /** Offered load as a fraction of fleet capacity (for the ramp, its starting level). */
  readonly load: number;
  /** Stale-signals scenario: signal refresh period as a multiple of the mean task time. */
  readonly refresh?: number;
}

export interface Scenario {
  readonly id: number;
  readonly key: string;
  readonly title: string;
  /** The homogeneous control (no accuracy target; p99 target against the best baseline). */
  readonly control: boolean;
  readonly variants: readonly Variant[];
  /** The world of one run: about `tasks` arrivals over the run. */
  build(variant: Variant, seed: number, tasks: number): World;
}

const loads = (prefix: string, levels: readonly number[]): Variant[] =>
  levels.map((load) => ({ key: `${prefix}-${Math.round(load * 100)}`, label: `${Math.round(load * 100)}% load`, load }));

/** Plain agent defaults. */
function agent(i: number, shape: Partial<AgentSpec> & { workers: number }): AgentSpec {
  return {
    agentId: `agent-${String(i).padStart(2, '0')}`,
    role: 'normal',
    capacity: 2 * shape.workers,
    speed: 1,
    cost: 0.5,
    quality: 0.9,
    failureRate: 0.002,
    ...shape,
  };
}

/** Half the agents 2–4× slower (and cheaper); workers 1, 2, 4 or 2 per fast/slow pair. */
function heterogeneousFleet(r: Random): AgentSpec[] {
  return Array.from({ length: FLEET_SIZE }, (_, i) => {
    const workers = [1, 2, 4, 2][Math.floor(i / 2) % 4]!;
    const slow = i % 2 === 1;
    return agent(i, { workers, speed: slow ? uniform(r, 2, 4) : 1, cost: slow ? 0.3 : 0.8, quality: slow ? 0.85 : 0.92 });
  });
}

/**
 * 7: two tiers. 8 fast agents and 8 agents 3–5× slower (one factor per seed), 2 workers each, and
 * each registers exactly its 2 workers (no queue inside the agent, as with the live check's fake
 * agents): the classic slow-server problem, where a task may do better waiting for a fast slot.
 */
function twoTierFleet(r: Random): AgentSpec[] {
  const slowdown = uniform(r, 3, 5);
  return Array.from({ length: FLEET_SIZE }, (_, i) => {
    const slow = i >= FLEET_SIZE / 2;
    return agent(i, { workers: 2, capacity: 2, speed: slow ? slowdown : 1, cost: slow ? 0.3 : 0.8, quality: slow ? 0.85 : 0.92 });
  });
}

const homogeneousFleet = (): AgentSpec[] => Array.from({ length: FLEET_SIZE }, (_, i) => agent(i, { workers: 2 }));

interface Shape {
  agents: AgentSpec[];
  /** Slow episodes with times as fractions of the run. */
  episodes?: SlowEpisode[];
  /** Crash windows as fractions of the run, by agent index. */
  crashes?: Map<number, { at: number; back: number }>;
  routers?: number;
  report?: ReportSpec;
  /** Offered load at a fraction of the run, relative to capacity. */
  loadAt?: (f: number) => number;
  predict?: boolean;
}

/**
 * Turn a shape into a world: capacity is the time average (over the run) of the useful agents'
 * throughput, given slow episodes and crashes; the duration is set so that about `tasks` tasks
 * arrive; fractions become milliseconds.
 */
function world(shape: Shape, variant: Variant, tasks: number): World {
  const { agents } = shape;
  const episodes = shape.episodes ?? [];
  const crashes = shape.crashes ?? new Map();
  const loadAt = shape.loadAt ?? (() => variant.load);
  const STEPS = 1000;
  let capacity = 0;
  let offered = 0;
  let peak = 0;
  for (let s = 0; s < STEPS; s++) {
    const f = (s + 0.5) / STEPS;
    agents.forEach((a, i) => {
      const c = crashes.get(i);
      if (!doesWork(a) || (c && f >= c.at && f < c.back)) return;
      let slow = a.speed;
      for (const e of episodes) if (e.agent === i && f >= e.from && f < e.to) slow *= e.factor;
      capacity += a.workers / (MEAN_WORK_MS * slow) / STEPS;
    });
    offered += loadAt(f) / STEPS;
    peak = Math.max(peak, loadAt(f));
  }
  const durationMs = tasks / (offered * capacity);
  return {
    agents: agents.map((a, i) => {
      const c = crashes.get(i);
      return c ? { ...a, role: 'crash', crash: { at: c.at * durationMs, back: c.back * durationMs } } : a;
    }),
    episodes: episodes.map((e) => ({ ...e, from: e.from * durationMs, to: e.to * durationMs })),
    routers: shape.routers ?? 1,
    report: shape.report ?? DEFAULT_REPORT,
    meanWorkMs: MEAN_WORK_MS,
    sigma: WORK_SIGMA,
    timeoutMs: TIMEOUT_MS,
    deadlineMs: DEADLINE_MS,
    durationMs,
    warmupMs: WARMUP_FRACTION * durationMs,
    capacityRate: capacity,
    loadAt: (t) => loadAt(t / durationMs),
    peakLoad: peak,
    predict: shape.predict ?? false,
  };
}

/**
 * Slow episodes that move: SLOW_SET agents (never agent 0) are slowed 3–5× at any time; every so
 * often one of them recovers and another slows down. Agent 0 is stuck at 20× for the middle third.
 */
function movingSlowdowns(r: Random): SlowEpisode[] {
  const SLOW_SET = 4;
  const MEAN_GAP = 0.04;
  const episodes: SlowEpisode[] = [];
  const pick = (busy: Set<number>): number => {
    for (;;) {
      const i = 1 + randomInt(r, FLEET_SIZE - 1);
      if (!busy.has(i)) return i;
    }
  };
  const open = new Map<number, { from: number; factor: number }>();
  for (let k = 0; k < SLOW_SET; k++) open.set(pick(new Set(open.keys())), { from: 0, factor: uniform(r, 3, 5) });
  for (let f = exponential(r, MEAN_GAP); f < 1; f += exponential(r, MEAN_GAP)) {
    const ids = [...open.keys()];
    const leaving = ids[randomInt(r, ids.length)]!;
    const ep = open.get(leaving)!;
    episodes.push({ agent: leaving, from: ep.from, to: f, factor: ep.factor });
    open.delete(leaving);
    open.set(pick(new Set([...open.keys(), leaving])), { from: f, factor: uniform(r, 3, 5) });
  }
  for (const [i, ep] of open) episodes.push({ agent: i, from: ep.from, to: 1, factor: ep.factor });
  episodes.push({ agent: 0, from: 1 / 3, to: 2 / 3, factor: 20 });
  return episodes;
}

/**
 * 5: from `base`, ramp up to 1.5× capacity, fall back to a quiet 0.5× long enough to drain the
 * backlog, a flash crowd at 2.5× for 2% of the run, then 0.6× to recover. Overload has onsets and
 * recoveries to predict, rather than a backlog that never drains (which would make "always
 * overloaded" a perfect predictor).
 */
function rampProfile(base: number): (f: number) => number {
  const points: [number, number][] = [
    [0, base],
    [0.1, base],
    [0.35, 1.5],
    [0.4, 0.5],
    [0.7, 0.5],
    [0.7, 2.5],
    [0.72, 2.5],
    [0.72, 0.6],
    [1, 0.6],
  ];
  return (f) => {
    for (let i = 1; i < points.length; i++) {
      const [f1, v1] = points[i]!;
      const [f0, v0] = points[i - 1]!;
      if (f < f1) return v0 + ((v1 - v0) * (f - f0)) / (f1 - f0);
    }
    return points[points.length - 1]![1];
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 1,
    key: 's1',
    title: 'heterogeneous: half the agents 2–4× slower, lognormal service times',
    control: false,
    variants: loads('s1', [0.7, 0.9]),
    build: (v, seed, tasks) => world({ agents: heterogeneousFleet(stream(seed, 's1', 'fleet')) }, v, tasks),
  },
  {
    id: 2,
    key: 's2',
    title: 'time-varying: a moving set of 4 agents 3–5× slower; one stuck at 20× for the middle third',
    control: false,
    variants: loads('s2', [0.7, 0.9]),
    build: (v, seed, tasks) => world({ agents: homogeneousFleet(), episodes: movingSlowdowns(stream(seed, 's2', 'episodes')) }, v, tasks),
  },
  {
    id: 3,
    key: 's3',
    title: 'stale signals: 8 independent routers share the heterogeneous fleet; signals refreshed every T',
    control: false,
    variants: [0.7, 0.9].flatMap((load) =>
      [0.1, 1, 10].map((refresh) => ({
        key: `s3-${Math.round(load * 100)}-T${refresh}`,
        label: `${Math.round(load * 100)}% load, T=${refresh}× task`,
        load,
        refresh,
      })),
    ),
    build: (v, seed, tasks) =>
      world(
        {
          agents: heterogeneousFleet(stream(seed, 's3', 'fleet')),
          routers: 8,
          report: {
            ...DEFAULT_REPORT,
            periodMs: (v.refresh ?? 1) * MEAN_WORK_MS,
            lagMs: Math.min(DEFAULT_REPORT.lagMs, ((v.refresh ?? 1) * MEAN_WORK_MS) / 2),
          },
        },
        v,
        tasks,
      ),
  },
  {
    id: 4,
    key: 's4',
    title: 'misleading and failing: a sinkhole, a hung agent, a liar, one that crashes and comes back',
    control: false,
    variants: loads('s4', [0.7, 0.9]),
    build: (v, _seed, tasks) =>
      world(
        {
          agents: [
            agent(0, { workers: 2, role: 'sinkhole', cost: 0.1, quality: 0.95, lies: { availability: 1 } }),
            agent(1, { workers: 2, role: 'hang' }),
            agent(2, {
              workers: 1,
              capacity: 8,
              speed: 3,
              role: 'liar',
              cost: 0.2,
              quality: 0.6,
              lies: { quality: 1, capacity: 1, availability: 1, loadFactor: 0.3, latencyFactor: 0.3 },
            }),
            ...Array.from({ length: FLEET_SIZE - 3 }, (_, k) => agent(k + 3, { workers: 2, speed: k % 2 === 0 ? 1 : 1.5 })),
          ],
          crashes: new Map([[3, { at: 0.35, back: 0.55 }]]),
        },
        v,
        tasks,
      ),
  },
  {
    id: 5,
    key: 's5',
    title: 'overload ramp and flash crowd: base → 1.5×, quiet 0.5×, then 2.5× for 2% of the run',
    control: false,
    variants: [0.75, 0.9].map((load) => ({ key: `s5-${Math.round(load * 100)}`, label: `ramp from ${Math.round(load * 100)}%`, load })),
    build: (v, seed, tasks) => world({ agents: heterogeneousFleet(stream(seed, 's5', 'fleet')), loadAt: rampProfile(v.load), predict: true }, v, tasks),
  },
  {
    id: 6,
    key: 's6',
    title: 'homogeneous control: 16 identical agents',
    control: true,
    variants: loads('s6', [0.7, 0.9]),
    build: (v, _seed, tasks) => world({ agents: homogeneousFleet() }, v, tasks),
  },
  {
    id: 7,
    key: 's7',
    title: 'two tiers: 8 fast agents and 8 agents 3–5× slower, each registering exactly its workers',
    control: false,
    variants: loads('s7', [0.6, 0.7, 0.8, 0.9]),
    build: (v, seed, tasks) => world({ agents: twoTierFleet(stream(seed, 's7', 'fleet')) }, v, tasks),
  },
];

export function scenario(id: number): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new RangeError(`no scenario ${id} (1–${SCENARIOS.length})`);
  return s;
}
