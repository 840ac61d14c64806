import type { z } from 'zod';
import { AppError } from '../../errors.js';
import { silentLog, type Log } from '../../log.js';
import type { ExecutionRule, ScalingAction, ScalingEvent as ScalingEventSchema, ScalingExecution as ScalingExecutionSchema } from '../../schemas/scaling.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import { DesiredWindow } from './desired-window.js';
import { recommend, type Recommendation } from './recommend.js';
import { ScalingHistory } from './scaling-history.js';
import { DEFAULT_SCALING_POLICY, resolvePolicy, type ScalingPolicy } from './scaling-policy.js';
import type { ScalingStore } from './scaling-store.js';
import type { ScalingSnapshot, ScalingTarget } from './scaling-target.js';

/** One execution's outcome (the result of pool.scaling.execute). */
export type ScalingExecution = z.infer<typeof ScalingExecutionSchema>;
/** One history entry (an element of pool.scaling.history). */
export type ScalingEvent = z.infer<typeof ScalingEventSchema>;
/** Whether timer-driven scaling runs, and how often. */
export interface ScalingStatus {
  running: boolean;
  intervalSeconds: number;
}

/** What an AutoScaler works with. */
export interface AutoScalerDeps {
  clock: Clock;
  /** The pool, seen through the narrow interface the scaler needs. */
  target: ScalingTarget;
  /** @defaultValue silentLog */
  log?: Log;
  /** Where the policy and whether auto-scaling runs are kept across restarts. @defaultValue none (memory only) */
  store?: Pick<ScalingStore, 'policy' | 'savePolicy' | 'autoScaling' | 'saveAutoScaling'>;
}

/** Period of `start()` without an argument, in seconds (the HPA's sync period). */
export const DEFAULT_SCALING_INTERVAL_S = 15;
/** History entries kept; older ones are overwritten. */
export const SCALING_HISTORY_SIZE = 200;
/** Entries `history()` returns without a limit. */
export const DEFAULT_HISTORY_LIMIT = 50;

const toCount = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}`;

/**
 * Decides how many agents the pool should run (see `recommend`) and asks the pool to get there,
 * on demand (`execute`) or every interval (`start`). Time comes only from the injected clock.
 *
 * - Every observation (`recommendation()` and `execute()`) feeds the scale-down stabilization
 *   window: each is a real measurement, and the window's size does not grow with polling.
 * - A scale-up waits scaleUpCooldownS after the last one that started an agent, counted from when
 *   that scale-up finished; scale-downs are only held back by stabilization.
 * - At most one execution runs at a time: a concurrent `execute()` resolves at once with
 *   action 'none' and reason 'busy' (and is not recorded), so a slow spawn never stacks timer ticks.
 * - History records every execution that acted or wanted to but was held by the cooldown; steady
 *   "nothing to do" executions are not recorded, so the ring keeps the decisions that matter.
 */
export class AutoScaler {
  private active: ScalingPolicy;
  private readonly log: Log;
  private readonly window = new DesiredWindow();
  private readonly events = new ScalingHistory<ScalingEvent>(SCALING_HISTORY_SIZE);
  private lastScaleUpAt: number | undefined;
  private inflight: Promise<ScalingExecution> | undefined;
  /** Counts of the running execution's decision, reported by a concurrent 'busy' call. */
  private inflightDecision = { current: 0, desired: 0 };
  private timer: TimerHandle | undefined;
  private intervalSeconds = DEFAULT_SCALING_INTERVAL_S;

  /** Throws ScalingPolicyError (a RangeError) when `policy` merged over the defaults is invalid. */
  constructor(
    private readonly deps: AutoScalerDeps,
    policy: Partial<ScalingPolicy> = {},
  ) {
    this.log = deps.log ?? silentLog;
    this.active = resolvePolicy(this.storedPolicy() ?? DEFAULT_SCALING_POLICY, policy);
  }

  /** After a restart: run timer-driven scaling again if it ran when the daemon stopped. */
  resume(): ScalingStatus {
    const intervalSeconds = this.deps.store?.autoScaling();
    return intervalSeconds === undefined ? this.status() : this.start(intervalSeconds);
  }

  /** The policy in force (a copy). */
  policy(): ScalingPolicy {
    return { ...this.active };
  }

  /**
   * Merge `patch` over the current policy and validate the whole; returns the new policy.
   * Throws ScalingPolicyError (a RangeError carrying `issues` and `paths`) and changes nothing
   * when invalid; the api layer maps it to -32602. An execution already running keeps the old one.
   */
  setPolicy(patch: Partial<ScalingPolicy>): ScalingPolicy {
    if (patch.template !== undefined && !(this.deps.target.hasTemplate?.(patch.template) ?? true)) {
      throw new AppError('UNKNOWN_TEMPLATE', `no template ${patch.template}`, { template: patch.template });
    }
    this.active = resolvePolicy(this.active, patch);
    this.deps.store?.savePolicy(this.active);
    this.log.info({ policy: this.active }, 'scaling policy set');
    return this.policy();
  }

  /** What the scaler would do now, and why; also feeds the stabilization window. */
  recommendation(): Recommendation {
    return this.observe(this.deps.target.snapshot());
  }

  /** Apply the recommendation once; resolves with 'busy' at once when an execution is running. */
  execute(): Promise<ScalingExecution> {
    if (this.inflight) {
      const { current, desired } = this.inflightDecision;
      return Promise.resolve({ current, desired, action: 'none', changed: 0, reason: 'busy', rule: 'busy' });
    }
    const run = this.run().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = run;
    return run;
  }

  /** Resolves once no execution is running (never rejects); for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.inflight) {
      await this.inflight.then(
        () => undefined,
        () => undefined,
      );
    }
  }

  /**
   * Execute every `intervalSeconds` on the clock (the first run one interval from now). Idempotent;
   * a different interval restarts the timer. Without an argument: the last interval set, initially
   * DEFAULT_SCALING_INTERVAL_S (15). Throws RangeError unless the interval is finite and > 0.
   */
  start(intervalSeconds: number = this.intervalSeconds): ScalingStatus {
    if (!(Number.isFinite(intervalSeconds) && intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be > 0, got ${intervalSeconds}`);
    if (this.timer !== undefined && intervalSeconds === this.intervalSeconds) return this.status();
    this.stopTimer();
    this.intervalSeconds = intervalSeconds;
    this.timer = this.deps.clock.setInterval(() => this.tick(), intervalSeconds * 1000);
    this.deps.store?.saveAutoScaling(intervalSeconds);
    this.log.info({ intervalSeconds }, 'auto-scaling started');
    return this.status();
  }

  /** Stop the timer (idempotent); an execution already running finishes (await `idle()`). */
  stop(): ScalingStatus {
    if (this.stopTimer()) {
      this.deps.store?.saveAutoScaling(undefined);
      this.log.info({}, 'auto-scaling stopped');
    }
    return this.status();
  }

  /** The daemon is stopping: stop the timer but keep it saved as running, so a restart resumes it. */
  shutdown(): void {
    this.stopTimer();
  }

  /** Whether the timer is scheduled. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Running flag and interval. */
  status(): ScalingStatus {
    return { running: this.running, intervalSeconds: this.intervalSeconds };
  }

  /** Up to `limit` recorded events, newest first (at most SCALING_HISTORY_SIZE are kept). */
  history(limit = DEFAULT_HISTORY_LIMIT): ScalingEvent[] {
    return this.events.latest(limit);
  }

  /** The saved policy, or undefined when none was saved or it no longer validates (then the defaults apply). */
  private storedPolicy(): ScalingPolicy | undefined {
    const saved = this.deps.store?.policy();
    if (saved === undefined) return undefined;
    try {
      return resolvePolicy(DEFAULT_SCALING_POLICY, saved);
    } catch (err) {
      this.log.warn({ err, saved }, 'the saved scaling policy is not valid: using the defaults');
      return undefined;
    }
  }

  private stopTimer(): boolean {
    if (this.timer === undefined) return false;
    this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    return true;
  }

  private tick(): void {
    if (this.inflight) return;
    this.execute().catch((err: unknown) => this.log.error({ err }, 'scaling execution failed'));
  }

  private observe(snapshot: ScalingSnapshot): Recommendation {
    const now = this.deps.clock.now();
    const policy = this.active;
    const rec = recommend(snapshot, policy, this.window.recent(now, policy.scaleDownStabilizationS * 1000));
    this.window.record(now, rec.proposed);
    return rec;
  }

  private async run(): Promise<ScalingExecution> {
    const { clock, target } = this.deps;
    const policy = this.active;
    const snapshot = target.snapshot();
    const rec = this.observe(snapshot);
    this.inflightDecision = { current: rec.current, desired: rec.desired };
    const at = clock.now();
    if (rec.desired === rec.current) {
      return { current: rec.current, desired: rec.desired, action: 'none', changed: 0, reason: rec.reason, rule: rec.rule };
    }
    if (rec.desired > rec.current) {
      const cooldownMs = policy.scaleUpCooldownS * 1000;
      const since = this.lastScaleUpAt === undefined ? Infinity : at - this.lastScaleUpAt;
      if (since < cooldownMs) {
        return this.record(at, rec, 'none', 0, `${rec.reason}; scale-up cooldown, ${seconds(cooldownMs - since)} s left`, 'cooldown');
      }
      const wanted = rec.desired - rec.current;
      const started = Math.min(wanted, toCount(await target.scaleUp(wanted, policy.template)));
      if (started > 0) this.lastScaleUpAt = clock.now();
      return this.record(at, rec, 'scale_up', started, started === wanted ? rec.reason : `${rec.reason}; ${started} of ${wanted} started`, rec.rule);
    }
    const wanted = rec.current - rec.desired;
    const stopped = Math.min(wanted, toCount(await target.scaleDown(wanted)));
    return this.record(at, rec, 'scale_down', stopped, stopped === wanted ? rec.reason : `${rec.reason}; ${stopped} of ${wanted} stopped`, rec.rule);
  }

  private record(at: number, rec: Recommendation, action: ScalingAction, changed: number, reason: string, rule: ExecutionRule): ScalingExecution {
    const to = action === 'scale_down' ? rec.current - changed : rec.current + changed;
    const { current: from, desired, utilization, queueDepth } = rec;
    const event: ScalingEvent = { at, from, to, desired, action, changed, reason, rule, utilization, queueDepth };
    this.events.push(event);
    this.log.info({ ...event }, action === 'none' ? 'scaling held' : 'scaling');
    return { current: rec.current, desired: rec.desired, action, changed, reason, rule };
  }
}
