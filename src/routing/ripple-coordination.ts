import { candidateLoad } from './least-loaded.js';
import { DispatchLog } from './dispatch-log.js';
import { LoadCurve } from './load-curve.js';
import { DEFAULT_OBSERVED_STATS_OPTIONS, ObservedStats, type ObservedStatsView } from './observed-stats.js';
import { LoadShare } from './load-share.js';
import { sampleDistinct } from './sampling.js';
import { SignalTrust } from './signal-trust.js';
import type {
  Candidate,
  Observation,
  ObservationContext,
  RoutingStrategy,
  ScoreSource,
  SelectionContext,
  StrategyChoice,
  WaitAdvice,
  WaitQuestion,
} from './strategy.js';
import { ServiceLevels } from './service-levels.js';
import { adviseWait, DEFAULT_WAIT_OPTIONS, type WaitOptions } from './wait-advice.js';
import { DEFAULT_RIPPLE_OPTIONS, type RippleOptions } from './ripple-options.js';

/** Latencies are compared in the log domain; this floor keeps ln finite for a 0 ms attempt. */
const MIN_LATENCY_MS = 1e-3;
/** Excess stretch ratios are stored as latencies of this many ms × the ratio. */
const EXCESS_SCALE_MS = 1000;

/**
 * When the fleet's agents are indistinguishable by speed (ServiceLevels.indistinguishable), the
 * sample is this many times sampleSize. The sample keeps many routers acting on one stale view
 * from herding onto the agent that looks best; among agents of one speed what tells them apart is
 * the load, which each router counts exactly for its own tasks, so a wider look costs no herding
 * and finds the least-loaded agent (sampleSize 8 of 16 missed it often enough to cost 5–7% of the
 * mean at 90% load). Bounded, so a decision stays O(sampleSize).
 */
const WIDE_SAMPLE = 4;

/**
 * In a fleet indistinguishable by speed, expected completions within this factor of the best are
 * told apart by their noise (each agent's level, its excess stretch, its signals) more than by
 * anything real, so among them the least-loaded agent is chosen: joining the shortest queue is what
 * serves identical servers best, and it keeps headroom on every agent for the tasks that follow
 * (RIPPLE's own estimate is indifferent between an idle agent and one with a worker still free).
 * An agent clearly worse than that (failing, predicted to overload) stays out. Measured in the
 * homogeneous control at 90% load (bench/routing-paired.ts, 10 seeds; docs/routing.md): the mean
 * ×1.039 ±0.031 of LEAST_LOADED's before, ×1.024 ±0.015 with the band.
 */
const NEAR_BAND = 2;

/** The hold decision's answer when the fleet's speeds are indistinguishable: place now, among every free agent. */
const PLACE_NOW: WaitAdvice = Object.freeze({ wait: false, bestFreeMs: Number.NaN, waitMs: Number.POSITIVE_INFINITY });

/** Relative difference below which two estimates are a tie (they are products of floats). */
const TIE = 1e-12;

/**
 * RIPPLE_COORDINATION: estimate, for a few randomly sampled candidates, the expected completion
 * time of one more task, and send it to the smallest.
 *
 *   ECT = [(1 − f) · L · (1 + k·u) + f · (L_fail + P · L_ref)] × S × O
 *
 * L: the agent's observed typical success latency (the fleet reference L_ref when unmeasured or
 * stale); u: inFlight / capacity × how much more load the agents report than this router has there (1
 * with one daemon, learned from their load reports); f, L_fail: observed failure rate and failure latency, P the
 * failure penalty; S = range^(−trust · (2·score − 1)) from its own signals' routing score; O =
 * 1 + penalty · confidence · trust when its load trend predicts overload. Trust in each agent's
 * signals is learned in observe() by checking past claims against observations, so an agent
 * that reports rosy signals but is observed slow or failing loses its say; observations never
 * lose theirs. Stale signals lose their weight (by TTL in the routing score, and by age in task
 * times when the score source tells it), leaving the observations.
 */
export class RippleCoordinationStrategy implements RoutingStrategy {
  readonly name = 'RIPPLE_COORDINATION' as const;
  readonly options: Readonly<RippleOptions>;
  readonly trust: SignalTrust;
  /** How much more load the agents report than this router has there (see load-share.ts). */
  readonly share = new LoadShare();
  /** Each agent's in-flight count and utilization when this router chose it, found again by the attempt's start. */
  readonly dispatches = new DispatchLog();
  /** How a task stretches with the utilization it meets, learned over the fleet (prior: 1 + k·u). */
  readonly curve: LoadCurve;
  /**
   * Successes of attempts that met no task of this router's on their agent: each agent's level when
   * idle. It relaxes towards the fleet's reference only over forgetAfterMs (then the agent reads as
   * new and is tried again), not over stalenessMs: an agent RIPPLE leaves idle on purpose (a slow
   * one, while holds wait for faster ones) gives no new evidence, and that silence is RIPPLE's own
   * doing, not a sign that the agent changed. Relaxed within 30 s, slow agents soon looked as fast as
   * the fleet and were chosen while faster agents were free (see docs/routing.md, issue 14 third round).
   */
  readonly idleLevel = new ObservedStats({ stalenessMs: DEFAULT_OBSERVED_STATS_OPTIONS.forgetAfterMs });
  /**
   * Per agent, how much longer its loaded attempts took than level × curve predicted (stored as a
   * latency of 1 s × that ratio, so the same empirical-Bayes shrinkage and fading apply). Read only
   * upwards: an agent that registers more slots than it runs at once stands out here, while no
   * agent can look less stretched than the fleet's curve.
   */
  readonly excessStretch = new ObservedStats();
  /** Each agent's own typical success latency over all loads, unshrunk: what the hold decision prices with. */
  readonly serviceLevels = new ServiceLevels();
  private readonly logRange: number;
  private readonly waitOptions: Readonly<WaitOptions>;
  // Scratch space for one decision, sized sampleSize, so select allocates only its choice.
  private readonly picks: Int32Array;
  private readonly taken: Int32Array;
  private readonly order: Int32Array;
  private readonly base: Float64Array;
  private readonly scoreOf: Float64Array;
  private readonly trustOf: Float64Array;

  constructor(options: Partial<RippleOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_RIPPLE_OPTIONS, ...options });
    const { sampleSize, loadSensitivity, signalRange, overloadPenalty, overloadHorizonSeconds, failurePenalty, signalHorizon } = this.options;
    if (!(Number.isInteger(sampleSize) && sampleSize >= 1)) throw new TypeError('RIPPLE option sampleSize must be a whole number >= 1');
    if (!(signalRange >= 1)) throw new TypeError('RIPPLE option signalRange must be >= 1');
    if (!(loadSensitivity >= 0 && overloadPenalty >= 0 && overloadHorizonSeconds > 0 && failurePenalty >= 0 && signalHorizon > 0)) {
      throw new TypeError('RIPPLE options loadSensitivity, overloadPenalty, failurePenalty must be >= 0; overloadHorizonSeconds, signalHorizon > 0');
    }
    this.trust = new SignalTrust(this.options.trust);
    this.curve = new LoadCurve((u) => 1 + loadSensitivity * u);
    this.logRange = Math.log(signalRange);
    this.waitOptions = Object.freeze({ ...DEFAULT_WAIT_OPTIONS, ...this.options.wait });
    if (!(this.waitOptions.margin > 0 && this.waitOptions.margin <= 1)) throw new TypeError('RIPPLE option wait.margin must be in (0, 1]');
    if (!(this.waitOptions.queueWeight >= 0)) throw new TypeError('RIPPLE option wait.queueWeight must be >= 0');
    const scratch = WIDE_SAMPLE * sampleSize;
    this.picks = new Int32Array(scratch);
    this.taken = new Int32Array(scratch);
    this.order = new Int32Array(scratch);
    this.base = new Float64Array(scratch);
    this.scoreOf = new Float64Array(scratch);
    this.trustOf = new Float64Array(scratch);
  }

  select(candidates: readonly Candidate[], ctx: SelectionContext): StrategyChoice {
    const n = candidates.length;
    // A fleet that cannot be told apart by speed is told apart by load, which this router knows
    // exactly for its own tasks: look at more of it (see WIDE_SAMPLE) and choose by it (NEAR_BAND).
    const oneSpeed = this.serviceLevels.indistinguishable();
    const k = Math.min(n, oneSpeed ? WIDE_SAMPLE * this.options.sampleSize : this.options.sampleSize);
    const sampled = k < n;
    if (sampled) sampleDistinct(ctx.random, n, k, this.picks, this.taken);
    const { order, base } = this;
    for (let i = 0; i < k; i++) {
      const index = sampled ? this.picks[i]! : i;
      this.picks[i] = index;
      base[i] = this.baseCost(candidates[index]!, ctx, i);
      // Insertion sort of the sampled slots by base cost (k is small).
      let j = i;
      while (j > 0 && base[order[j - 1]!]! > base[i]!) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }

    // The overload term only raises a cost, and asking for it is the expensive part: take the
    // candidates cheapest first and stop once the next one's cost before the term cannot win.
    let chosen = -1;
    let best = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (let r = 0; r < k; r++) {
      const slot = order[r]!;
      if (chosen >= 0 && base[slot]! > best * (1 + TIE)) break;
      const cost = orderable(base[slot]! * this.overloadFactor(candidates[this.picks[slot]!]!.agentId, ctx, this.trustOf[slot]!));
      if (chosen < 0 || cost < best * (1 - TIE)) {
        chosen = slot;
        best = cost;
        ties = 1;
      } else if (cost <= best * (1 + TIE)) {
        // Reservoir sampling: the j-th tied candidate replaces the pick with probability 1/j.
        ties++;
        if (ctx.random.next() * ties < 1) chosen = slot;
      }
    }
    if (oneSpeed) chosen = this.leastLoadedNear(candidates, ctx, k, chosen, best);
    const pick = candidates[this.picks[chosen]!]!;
    const agentId = pick.agentId;
    if (this.options.loadCurve) this.dispatches.chose(agentId, ctx.now, pick.inFlight, hasCapacity(pick) ? this.utilization(pick, ctx) : Number.NaN);
    const score = this.scoreOf[chosen]!;
    return Number.isFinite(score) ? { agentId, score } : { agentId };
  }

  /**
   * Among the sampled slots whose cost is within NEAR_BAND of the best (`best`, the chosen slot's),
   * the least-loaded one; `chosen` when none is less loaded. Reads the slots select() filled.
   */
  private leastLoadedNear(candidates: readonly Candidate[], ctx: SelectionContext, k: number, chosen: number, best: number): number {
    const limit = best * NEAR_BAND;
    let pick = chosen;
    let load = candidateLoad(candidates[this.picks[chosen]!]!);
    for (let r = 0; r < k; r++) {
      const slot = this.order[r]!;
      if (!(this.base[slot]! <= limit)) break;
      const c = candidates[this.picks[slot]!]!;
      const u = candidateLoad(c);
      if (u < load && this.base[slot]! * this.overloadFactor(c.agentId, ctx, this.trustOf[slot]!) <= limit) {
        pick = slot;
        load = u;
      }
    }
    return pick;
  }

  /**
   * Expected completion time (ms) of one more task on this candidate, as RIPPLE estimates it
   * (all terms); +Infinity when it cannot take one (capacity 0) or an input is broken.
   */
  expectedCompletionMs(c: Candidate, ctx: SelectionContext): number {
    const trust = this.trust.get(c.agentId) * this.signalWeight(c.agentId, ctx.now, ctx);
    const base = this.costBeforeOverload(c, ctx, trust, ctx.scores.routingScore(c.agentId, ctx.now));
    return orderable(base * this.overloadFactor(c.agentId, ctx, trust));
  }

  /**
   * Place the task on a free agent now, or hold it for a busy one expected to finish it sooner
   * (see wait-advice.ts). Here every agent is priced by what its attempts have taken so far
   * (its own typical success latency over all the loads its tasks met, not shrunk towards the
   * fleet, plus the failure term), from observations alone: that is how long a task will take there and how long its slots stay
   * taken. Why not expectedCompletionMs: its speed rests on the agent's idle level, which is
   * learned only from attempts that met an empty agent, and those are rare exactly for the agents
   * that are always busy or seldom chosen; the per-agent average over all attempts separates a
   * slow tier from a fast one within a few tasks.
   */
  adviseWait(task: WaitQuestion, free: readonly Candidate[], busy: readonly Candidate[], ctx: SelectionContext): WaitAdvice {
    // Agents that cannot be told apart by speed give no reason to hold a task or to cut a free one.
    if (this.serviceLevels.indistinguishable()) return PLACE_NOW;
    const { observed, now } = ctx;
    const price = (c: Candidate): number => {
      const own = this.serviceLevels.latencyMs(c.agentId);
      return own === undefined ? Number.POSITIVE_INFINITY : orderable(observedCompletionMs(observed, c.agentId, now, 0, this.options, own));
    };
    const seen = (agentId: string): boolean => observed.has(agentId, now) && this.serviceLevels.latencyMs(agentId) !== undefined;
    return adviseWait(task, free, busy, price, price, seen, this.waitOptions);
  }

  /**
   * Check what the agent's signals claim against what was just observed, and adjust the trust
   * in them. The claim is taken at the observation's time, as a fully trusted multiplier.
   */
  observe(obs: Observation, ctx: ObservationContext): void {
    const { scores, observed } = ctx;
    if (obs.outcome === 'completed') this.serviceLevels.record(obs.agentId, obs.latencyMs);
    if (this.options.loadCurve && obs.outcome === 'completed') this.learnLoad(obs);
    if (!scores.hasLiveSignal(obs.agentId, obs.at)) return;
    const score = scores.routingScore(obs.agentId, obs.at);
    if (!Number.isFinite(score)) return;
    const claimLog = -this.logRange * (2 * score - 1);
    const reference = observed.referenceLatencyMs();
    const actual = observedCompletionMs(observed, obs.agentId, obs.at, 0, this.options);
    // An old claim is checked only as strongly as it still counts: staleness is not lying.
    const strength = Math.abs(2 * score - 1) * this.signalWeight(obs.agentId, obs.at, ctx);
    this.trust.check(obs.agentId, claimLog, Math.log(actual / reference), strength);
  }

  /**
   * Learn from a success what its task met on arrival: found by the attempt's start among this
   * router's choices. Met idle (no task of this router's there): a sample of the agent's idle
   * level. Met load u: a sample of the fleet's curve (its latency over the agent's own idle level)
   * and of the agent's excess over level × curve.
   */
  private learnLoad(obs: Observation): void {
    const met = this.dispatches.find(obs.agentId, obs.at - obs.latencyMs);
    if (met === undefined) return;
    if (met.inFlight === 0) {
      this.idleLevel.record(obs);
      return;
    }
    const u = met.utilization;
    const own = this.idleLevel.ownLatencyMs(obs.agentId, obs.at);
    if (!(u > 0) || own === undefined) return; // capacity unknown, or no idle level to compare with yet
    const latency = Math.max(obs.latencyMs, MIN_LATENCY_MS);
    const predicted = this.idleLevel.typicalLatencyMs(obs.agentId, obs.at) * this.curve.factor(u);
    this.excessStretch.record({ ...obs, latencyMs: (EXCESS_SCALE_MS * latency) / predicted });
    this.curve.learn(u, Math.log(latency / own));
  }

  /**
   * A successful task's expected latency at utilization u: the agent's idle level × the learned
   * curve × its own excess (never below 1). Undefined until some idle level has been learned, or
   * when the capacity is unknown (then the fixed rule L · (1 + k·u) applies).
   */
  private learnedSuccessMs(c: Candidate, u: number, now: number): number | undefined {
    if (!this.options.loadCurve || this.idleLevel.size === 0) return undefined;
    const level = this.idleLevel.typicalLatencyMs(c.agentId, now);
    if (!(u > 0)) return level;
    if (!hasCapacity(c)) return undefined;
    const excess = this.excessStretch.size > 0 ? this.excessStretch.typicalLatencyMs(c.agentId, now) / this.excessStretch.referenceLatencyMs() : 1;
    return level * this.curve.factor(u) * Math.max(1, excess);
  }

  /** Fills the slot's score and trust and returns its cost before the overload term. */
  private baseCost(c: Candidate, ctx: SelectionContext, slot: number): number {
    const trust = this.trust.get(c.agentId) * this.signalWeight(c.agentId, ctx.now, ctx);
    const score = ctx.scores.routingScore(c.agentId, ctx.now);
    this.scoreOf[slot] = score;
    this.trustOf[slot] = trust;
    return orderable(this.costBeforeOverload(c, ctx, trust, score));
  }

  /** Observed completion time × the trusted signal factor range^(−trust·(2·score − 1)). */
  private costBeforeOverload(c: Candidate, ctx: SelectionContext, trust: number, score: number): number {
    const u = this.utilization(c, ctx);
    const ect = observedCompletionMs(ctx.observed, c.agentId, ctx.now, u, this.options, this.learnedSuccessMs(c, u, ctx.now));
    if (!(trust > 0) || !Number.isFinite(score)) return ect;
    return ect * Math.exp(-trust * this.logRange * (2 * score - 1));
  }

  /**
   * This router's utilization of the agent × the fleet-wide share of load it does not see (each
   * new load report is compared once with its own utilization then). Own utilization alone when
   * the capacity is unknown (a load fraction and a raw count do not mix) or the source cannot
   * tell load reports and their time.
   */
  private utilization(c: Candidate, ctx: SelectionContext): number {
    const own = candidateLoad(c);
    const { scores } = ctx;
    if (!this.options.loadShare || !(c.capacity !== undefined && c.capacity > 0) || scores.forecastLoad === undefined || scores.lastSignalAt === undefined)
      return own;
    const at = scores.lastSignalAt(c.agentId);
    if (at !== undefined && this.share.isNew(c.agentId, at) && scores.hasLiveSignal(c.agentId, ctx.now)) {
      // A zero horizon reads the newest load level (no trend); asked once per new report.
      const level = scores.forecastLoad(c.agentId, 0);
      if (level !== undefined && level.samples !== undefined && level.samples > 0 && level.predictedLoad !== undefined) {
        this.share.report(c.agentId, at, level.predictedLoad, own);
      }
    }
    return own * this.share.factor();
  }

  /**
   * How much the agent's signals still say at `now`, judged against the typical task time (their
   * TTL-based decay is already in the routing score): 1 when the source cannot tell their age.
   */
  private signalWeight(agentId: string, now: number, ctx: { scores: ScoreSource; observed: ObservedStatsView }): number {
    const at = ctx.scores.lastSignalAt?.(agentId);
    if (at === undefined) return 1;
    return Math.exp(-Math.max(0, now - at) / (this.options.signalHorizon * ctx.observed.referenceLatencyMs()));
  }

  /** 1 + penalty · confidence · trust when the agent's load trend predicts overload, else 1. */
  private overloadFactor(agentId: string, ctx: SelectionContext, trust: number): number {
    const { overloadPenalty, overloadHorizonSeconds } = this.options;
    const { scores } = ctx;
    if (!(trust > 0) || overloadPenalty === 0 || scores.forecastLoad === undefined || !scores.hasLiveSignal(agentId, ctx.now)) return 1;
    const outlook = scores.forecastLoad(agentId, overloadHorizonSeconds);
    return outlook?.willOverload ? 1 + overloadPenalty * trust * clampUnit(outlook.confidence) : 1;
  }
}

/**
 * The observation-only part of the estimate: (1 − f) · L · (1 + k·u) + f · (L_fail + P · L_ref).
 * `utilization` is inFlight / capacity (or inFlight when the capacity is unknown).
 */
export function observedCompletionMs(
  observed: ObservedStatsView,
  agentId: string,
  now: number,
  utilization: number,
  options: Pick<RippleOptions, 'loadSensitivity' | 'failurePenalty'>,
  /** The success term L · stretch when the caller learned it; default L · (1 + k·u) from `observed`. */
  successMs?: number,
): number {
  const f = observed.failureRate(agentId, now);
  const success = successMs ?? observed.typicalLatencyMs(agentId, now) * (1 + options.loadSensitivity * utilization);
  if (f === 0) return success;
  return (1 - f) * success + f * (observed.failureLatencyMs(agentId) + options.failurePenalty * observed.referenceLatencyMs());
}

function hasCapacity(c: Candidate): boolean {
  return c.capacity !== undefined && c.capacity > 0;
}

/** NaN (a broken input) orders last, like +Infinity. */
function orderable(x: number): number {
  return Number.isNaN(x) ? Number.POSITIVE_INFINITY : x;
}

function clampUnit(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}
