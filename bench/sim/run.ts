import type { StrategyName } from '../../src/schemas/common.js';
import { CoordinationService } from '../../src/coordination/coordination-service.js';
import { LoadForecasts } from '../../src/coordination/load-forecasts.js';
import { sequentialIds } from '../../src/ids.js';
import { MemoryTaskStore } from '../../src/pool/memory-task-store.js';
import type { PoolObserver } from '../../src/pool/pool-observer.js';
import { PoolService } from '../../src/pool/pool-service.js';
import type { TaskRecord } from '../../src/pool/task-store.js';
import { randomInt } from '../../src/random.js';
import type { Candidate } from '../../src/routing/strategy.js';
import { exponential, lognormal, stream } from './distributions.js';
import { doesWork } from './model.js';
import { OverloadProbe, type HorizonResult } from './overload-probe.js';
import { scenario } from './scenarios.js';
import { SimAgent, type SimPayload } from './sim-agent.js';
import { SimClock } from './sim-clock.js';
import type { WaitTruth } from './oracle-wait-strategy.js';
import { SignalReporter } from './signal-reporter.js';
import { createRouter, type BenchStrategy, type InstrumentedRouter } from './strategies.js';
import { mean, quantile, stdDev } from './stats.js';

/** One simulation run. */
export interface RunSpec {
  scenario: number;
  /** Index into the scenario's variants. */
  variant: number;
  strategy: BenchStrategy;
  seed: number;
  /** About this many tasks arrive over the run. */
  tasks: number;
  /**
   * How long to wait for the last tasks after arrivals stop before cancelling what is left, ms.
   * @defaultValue max(run duration, 5 × attempt timeout)
   */
  drainMs?: number;
}

/** Probabilities at which each run's latency distribution is kept (for the CDF charts). */
export const CDF_POINTS: readonly number[] = [...Array.from({ length: 50 }, (_, i) => (i + 0.5) / 50), 0.995, 0.999];

/** A decision is accurate when the chosen agent's true expected completion is within this factor of the best. */
export const ACCURACY_TOLERANCE = 1.1;

export interface RunResult {
  spec: RunSpec;
  /** Tasks accepted by pool.assign. */
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Still not terminal when the run gave up (0 unless the drain limit was hit twice). */
  unfinished: number;
  /** Tasks submitted after the warm-up: the ones the metrics below describe. */
  measured: number;
  /** End-to-end latency (submit → COMPLETED) of measured completed tasks, ms. */
  latency: { mean: number; p50: number; p99: number; p999: number };
  /** Share of measured tasks that ended FAILED or CANCELLED. */
  failureRate: number;
  /** Share of attempts (measured tasks) that timed out. */
  timeoutRate: number;
  /** Share of measured tasks COMPLETED within the deadline. */
  slo: number;
  /** Share of decisions (after warm-up) whose agent was within 10% of the best true expected completion. */
  accuracy: number;
  /** The same, among decisions with at least two candidates. */
  contestedAccuracy: number;
  decisions: number;
  /** Standard deviation of per-agent utilization (busy worker time / worker time) over working agents. */
  utilizationSpread: number;
  utilizationMean: number;
  /** Sum of attempt costs of measured tasks per measured completed task. */
  costPerTask: number;
  /** Selections where the requested strategy fell back to RANDOM (router.stats()). */
  fallbacks: number;
  /** Share of measured tasks held back at least once for a busy agent (RIPPLE's or ORACLE_WAIT's wait). */
  heldFraction: number;
  /** Mean total hold time of the measured tasks that were held, ms (0 when none was). */
  holdMeanMs: number;
  /** Latency (ms) at each of CDF_POINTS. */
  cdf: number[];
  prediction?: HorizonResult[];
  simSeconds: number;
  wallMs: number;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Run one scenario variant with one strategy and seed: the real CoordinationService,
 * AgentRouter(s) and PoolService(s) on a virtual clock, simulated agents behind AgentChannel,
 * Poisson arrivals. Arrivals and task sizes come from their own seeded streams, so every strategy
 * sees the same tasks at the same times (common random numbers).
 */
export async function runSimulation(spec: RunSpec): Promise<RunResult> {
  const started = performance.now();
  const sc = scenario(spec.scenario);
  const variant = sc.variants[spec.variant];
  if (!variant) throw new RangeError(`scenario ${spec.scenario} has no variant ${spec.variant}`);
  const w = sc.build(variant, spec.seed, spec.tasks);
  const seed = spec.seed;

  const clock = new SimClock();
  const t0 = clock.now();
  const end = t0 + w.durationMs;
  const coordination = new CoordinationService({ clock, ids: sequentialIds('sig') });
  let settled = false;
  const pools: PoolService[] = [];
  const agents = w.agents.map((a, i) => new SimAgent(a, i, { world: w, clock, random: stream(seed, 'agent', i), pools, onSettle: () => (settled = true) }));
  const byId = new Map(agents.map((a) => [a.agentId, a]));
  const truth = (agentId: string, now: number): number => byId.get(agentId)?.expectedCompletionMs(now) ?? Number.POSITIVE_INFINITY;

  // What ORACLE_WAIT may read: every task's true work and the agents' exact schedules (ORACLE_WAIT_BLIND: not the work).
  const works = new Map<string, number>();
  let submitting: number | undefined;
  const waitTruth: WaitTruth = {
    workOf: (taskId) => works.get(taskId),
    submitting: () => submitting ?? w.meanWorkMs,
    meanWork: () => w.meanWorkMs,
    completionOf: (agentId, work, now, from) => byId.get(agentId)?.completionOf(work, now, from) ?? Number.POSITIVE_INFINITY,
    slotFreeTimes: (agentId, now) => byId.get(agentId)?.slotFreeTimes(now) ?? [],
  };

  // ---- decisions -----------------------------------------------------------------------------
  const decisions = { all: 0, accurate: 0, contested: 0, contestedAccurate: 0 };
  const onDecision = (candidates: readonly Candidate[], chosen: string): void => {
    const now = clock.now();
    if (now - t0 < w.warmupMs) return;
    let best = Number.POSITIVE_INFINITY;
    for (const c of candidates) best = Math.min(best, truth(c.agentId, now));
    const mine = truth(chosen, now);
    const ok = mine === best || mine <= best * ACCURACY_TOLERANCE;
    decisions.all++;
    if (ok) decisions.accurate++;
    if (candidates.length > 1) {
      decisions.contested++;
      if (ok) decisions.contestedAccurate++;
    }
  };

  // ---- outcomes ------------------------------------------------------------------------------
  const open = new Map<string, PoolService>();
  const counts = { submitted: 0, completed: 0, failed: 0, cancelled: 0, measured: 0, measuredFailed: 0, inSlo: 0, attempts: 0, timeouts: 0, cost: 0 };
  const latencies: number[] = [];
  /** Total hold per task (ms), and the measured tasks that were held. */
  const heldMs = new Map<string, number>();
  const holds = { tasks: 0, totalMs: 0 };
  const observer: PoolObserver = {
    holdEnded(taskId, seconds) {
      heldMs.set(taskId, (heldMs.get(taskId) ?? 0) + seconds * 1000);
    },
    taskState(task: TaskRecord) {
      if (!TERMINAL.has(task.state) || !open.has(task.taskId)) return;
      open.delete(task.taskId);
      works.delete(task.taskId);
      if (task.state === 'COMPLETED') counts.completed++;
      else if (task.state === 'FAILED') counts.failed++;
      else counts.cancelled++;
      const held = heldMs.get(task.taskId);
      heldMs.delete(task.taskId);
      if (task.createdAt - t0 < w.warmupMs) return;
      counts.measured++;
      if (held !== undefined) {
        holds.tasks++;
        holds.totalMs += held;
      }
      for (const a of task.attempts) {
        counts.attempts++;
        if (a.outcome === 'timeout') counts.timeouts++;
        counts.cost += byId.get(a.agentId)?.spec.cost ?? 0;
      }
      if (task.state !== 'COMPLETED') {
        counts.measuredFailed++;
        return;
      }
      const latency = (task.finishedAt ?? clock.now()) - task.createdAt;
      latencies.push(latency);
      if (latency <= w.deadlineMs) counts.inSlo++;
    },
  };

  // ---- the daemon(s) -------------------------------------------------------------------------
  const routers: InstrumentedRouter[] = [];
  for (let r = 0; r < w.routers; r++) {
    const router = createRouter(spec.strategy, { random: stream(seed, 'router', r), scores: coordination, truth, waitTruth, onDecision });
    routers.push(router);
    const store = new MemoryTaskStore({ clock }, { retentionMs: 60_000, retentionCount: 1_000 });
    pools.push(
      new PoolService(
        { clock, ids: sequentialIds(`r${r}`), random: stream(seed, 'pool', r), router, store, observer },
        // defaultStrategy is typed StrategyName; P2C, PEAK_EWMA and ORACLE are passed by name all the same.
        { defaultStrategy: spec.strategy as StrategyName, defaultTaskTimeoutMs: w.timeoutMs, maxQueue: 10_000_000 },
      ),
    );
  }
  // With one daemon, its pool forecasts its agents' load (coordination.predictOverload's 'pool' basis).
  const forecasts: Pick<LoadForecasts, 'predictOverload'> =
    pools.length === 1 ? new LoadForecasts(coordination, pools[0]!) : { predictOverload: (agentId, h) => coordination.predictOverload(agentId, h) };
  for (const a of agents) {
    a.connect();
    const crash = a.spec.crash;
    if (crash) {
      clock.setTimeout(() => a.crash(), crash.at);
      clock.setTimeout(() => a.connect(), crash.back);
    }
  }
  const reporter = new SignalReporter({ clock, coordination, world: w, agents, random: (a) => stream(seed, 'signals', a.index) });
  reporter.start();
  const probe = w.predict ? new OverloadProbe({ clock, coordination, forecasts, agents, reporter, from: t0 + w.warmupMs, until: end }) : undefined;
  probe?.start();

  // ---- arrivals: Poisson by thinning, on their own streams -----------------------------------
  const arrivals = stream(seed, 'arrivals');
  const sizes = stream(seed, 'work');
  const frontEnds = stream(seed, 'front-end');
  const peakRate = w.peakLoad * w.capacityRate;
  let t = 0;
  let arriving = true;
  const scheduleNext = (): void => {
    for (;;) {
      t += exponential(arrivals, 1 / peakRate);
      if (t >= w.durationMs) {
        arriving = false;
        return;
      }
      if (arrivals.next() * w.peakLoad < w.loadAt(t)) break;
    }
    clock.setTimeout(arrive, t0 + t - clock.now());
  };
  const arrive = (): void => {
    const payload: SimPayload = { work: lognormal(sizes, w.meanWorkMs, w.sigma) };
    const pool = pools[w.routers === 1 ? 0 : randomInt(frontEnds, w.routers)]!;
    submitting = payload.work;
    const { task } = pool.assign({ type: 'sim', payload, timeoutMs: w.timeoutMs });
    submitting = undefined;
    works.set(task.taskId, payload.work);
    counts.submitted++;
    if (!TERMINAL.has(task.state)) open.set(task.taskId, pool);
    else works.delete(task.taskId);
    scheduleNext();
  };
  scheduleNext();

  // ---- the event loop ------------------------------------------------------------------------
  // After arrivals stop, wait for every task; past the drain limit, cancel what is left (a
  // running one ends CANCELLED when its agent answers the cancel or the attempt times out).
  const drainLimit = end + (spec.drainMs ?? Math.max(w.durationMs, 5 * w.timeoutMs));
  const giveUp = drainLimit + 2 * w.timeoutMs;
  let cancelling = false;
  while (arriving || open.size > 0) {
    if (!cancelling && clock.now() > drainLimit) {
      cancelling = true;
      for (const [taskId, pool] of [...open]) pool.cancel(taskId);
    }
    if (clock.now() > giveUp || !clock.step()) break;
    // An agent answered: let the pool's promise callbacks run before the next instant.
    while (settled) {
      settled = false;
      for (let i = 0; i < 3; i++) await Promise.resolve();
    }
  }

  // ---- metrics -------------------------------------------------------------------------------
  latencies.sort((a, b) => a - b);
  const elapsed = clock.now() - t0;
  const utilization = agents.filter((a) => doesWork(a.spec)).map((a) => a.busyMs / (a.spec.workers * elapsed));
  return {
    spec,
    submitted: counts.submitted,
    completed: counts.completed,
    failed: counts.failed,
    cancelled: counts.cancelled,
    unfinished: open.size,
    measured: counts.measured,
    latency: { mean: mean(latencies), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), p999: quantile(latencies, 0.999) },
    failureRate: counts.measuredFailed / Math.max(1, counts.measured),
    timeoutRate: counts.timeouts / Math.max(1, counts.attempts),
    slo: counts.inSlo / Math.max(1, counts.measured),
    accuracy: decisions.accurate / Math.max(1, decisions.all),
    contestedAccuracy: decisions.contestedAccurate / Math.max(1, decisions.contested),
    decisions: decisions.all,
    utilizationSpread: stdDev(utilization),
    utilizationMean: mean(utilization),
    costPerTask: counts.cost / Math.max(1, latencies.length),
    fallbacks: routers.reduce((s, r) => s + fallbacksOf(r), 0),
    heldFraction: holds.tasks / Math.max(1, counts.measured),
    holdMeanMs: holds.tasks > 0 ? holds.totalMs / holds.tasks : 0,
    cdf: CDF_POINTS.map((p) => quantile(latencies, p)),
    prediction: probe?.result(),
    simSeconds: elapsed / 1000,
    wallMs: performance.now() - started,
  };
}

/** router.stats().fallbacks, tolerating a router whose stats() has another shape. */
function fallbacksOf(router: InstrumentedRouter): number {
  const stats = router.stats() as { fallbacks?: unknown };
  return typeof stats.fallbacks === 'number' ? stats.fallbacks : 0;
}
