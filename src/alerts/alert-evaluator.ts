import type { Log } from '../log.js';
import { silentLog } from '../log.js';
import { histogramQuantile } from '../observability/histogram-quantile.js';
import type { ActiveAlert, AlertClearedNotification, AlertName } from '../schemas/alerts.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import {
  ALERT_RULES,
  breaches,
  clearedMessage,
  raisedMessage,
  recovered,
  type AlertRule,
  type AlertThresholds,
  type Reading,
  type WindowReadings,
} from './alert-rules.js';
import { SlidingWindow } from './sliding-window.js';

/**
 * Upper bounds of the conflict wait buckets: the same as coordd_resource_wait_seconds, so the
 * daemon's p95 is the very estimate PromQL's histogram_quantile gives on the exported histogram.
 */
export const CONFLICT_WAIT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The pool as the evaluator sees it at one evaluation. */
export interface PoolLoad {
  totalSlots: number;
  usedSlots: number;
  queued: number;
}

/** Told about every transition; failures are logged and do not stop evaluation. */
export interface AlertObserver {
  raised?(alert: ActiveAlert): void;
  cleared?(alert: AlertClearedNotification): void;
}

export interface AlertEvaluatorDeps {
  clock: Clock;
  /** Read once per evaluation. */
  poolLoad: () => PoolLoad;
  observer?: AlertObserver;
  log?: Log;
}

export interface AlertEvaluatorOptions extends AlertThresholds {
  /** How often the rules run (config.file.alerts). */
  evaluationIntervalSeconds: number;
  /** The window every reading is computed over. */
  windowSeconds: number;
  /** Samples a reading needs before its alert may raise; below it a raised alert clears (no data). */
  minSamples: number;
  /** Hysteresis: share of the distance from threshold to best value a value must come back by to clear. @defaultValue 0.05 */
  clearMargin?: number;
  /** Most time buckets per window (memory bound). @defaultValue 300 */
  maxSlots?: number;
}

const TASK_SUBMITTED = 'PENDING';

/**
 * Evaluates the performance alerts every `evaluationIntervalSeconds` on the injected clock.
 *
 * Inputs are cheap to feed (the RPC hot path calls coordinationTime on every call): they add to
 * plain accumulators that each evaluation moves into fixed-size sliding windows, so the windows
 * are exact to one evaluation interval and memory does not grow with traffic.
 *
 * Utilization is sampled at each evaluation when the pool has capacity and there is work — tasks
 * running or queued, or a task entered PENDING since the previous evaluation — and the rules read
 * the mean of those samples over the window. An idle fleet with nothing to do is not "underused".
 */
export class AlertEvaluator {
  private readonly options: Required<AlertEvaluatorOptions>;
  private readonly log: Log;
  private readonly active = new Map<AlertName, ActiveAlert>();
  private timer: TimerHandle | undefined;

  private readonly utilization: SlidingWindow; // [sum of samples, samples]
  private readonly overhead: SlidingWindow; // [coordination s, agent work s, agent work items]
  private readonly completion: SlidingWindow; // [completed, failed]
  private readonly conflicts: SlidingWindow; // one count per bucket, +Inf last

  private pendingCoordination = 0;
  private pendingWork = 0;
  private pendingWorkItems = 0;
  private pendingCompleted = 0;
  private pendingFailed = 0;
  private pendingSubmitted = 0;
  private readonly pendingConflicts = new Float64Array(CONFLICT_WAIT_BUCKETS.length + 1);

  constructor(
    private readonly deps: AlertEvaluatorDeps,
    options: AlertEvaluatorOptions,
  ) {
    this.options = { clearMargin: 0.05, maxSlots: 300, ...options };
    this.log = deps.log ?? silentLog;
    const windowMs = this.options.windowSeconds * 1000;
    // One bucket per evaluation when that fits, so data leaves the window one interval at a time.
    const slots = Math.min(this.options.maxSlots, Math.max(1, Math.ceil(this.options.windowSeconds / this.options.evaluationIntervalSeconds)));
    const window = (width: number) => new SlidingWindow({ clock: deps.clock }, { windowMs, slots, width });
    this.utilization = window(2);
    this.overhead = window(3);
    this.completion = window(2);
    this.conflicts = window(CONFLICT_WAIT_BUCKETS.length + 1);
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** The daemon spent `seconds` of its own time coordinating (an RPC call, routing a message). */
  coordinationTime(seconds: number): void {
    if (seconds > 0) this.pendingCoordination += seconds;
  }

  /** An agent spent `seconds` on work the daemon gave it (one task attempt or one delivery attempt). */
  agentWork(seconds: number): void {
    this.pendingWork += Math.max(0, seconds);
    this.pendingWorkItems++;
  }

  /** A task entered `state` (the pool observer's taskState). */
  taskEntered(state: string): void {
    if (state === 'COMPLETED') this.pendingCompleted++;
    else if (state === 'FAILED') this.pendingFailed++;
    else if (state === TASK_SUBMITTED) this.pendingSubmitted++;
  }

  /** A contended acquire got its lease after waiting `waitSeconds`. */
  conflictResolved(waitSeconds: number): void {
    this.pendingConflicts[bucketOf(waitSeconds)]!++;
  }

  /** A contended acquire gave up (timed out) after `waitSeconds`: it took at least that long, so it counts. */
  conflictEscalated(waitSeconds: number): void {
    this.pendingConflicts[bucketOf(waitSeconds)]!++;
  }

  // ---- evaluation --------------------------------------------------------------------------

  /** Evaluate every `evaluationIntervalSeconds` until stop(). Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.deps.clock.setInterval(() => this.evaluate(), this.options.evaluationIntervalSeconds * 1000);
  }

  /** Stop evaluating; active alerts stay as they are. Idempotent. */
  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One evaluation: move the inputs into the windows, then raise, update or clear each alert. */
  evaluate(): void {
    this.flush();
    const readings = this.readings();
    const now = this.deps.clock.now();
    for (const rule of ALERT_RULES) this.apply(rule, rule.read(readings), now);
  }

  /** Active alerts, in rule order. */
  list(): ActiveAlert[] {
    return ALERT_RULES.flatMap((r) => {
      const a = this.active.get(r.name);
      return a ? [{ ...a }] : [];
    });
  }

  /** Names of the active alerts (for coordd_alerts_active). */
  activeNames(): AlertName[] {
    return [...this.active.keys()];
  }

  /** The readings as of the last flush (for tests and diagnostics). */
  readings(): WindowReadings {
    const [utilSum, utilSamples] = this.utilization.totals() as [number, number];
    const [coordination, work, workItems] = this.overhead.totals() as [number, number, number];
    const [completed, failed] = this.completion.totals() as [number, number];
    const counts = this.conflicts.totals();
    let cumulative = 0;
    const buckets = counts.map((n, i) => ({ le: CONFLICT_WAIT_BUCKETS[i] ?? Number.POSITIVE_INFINITY, count: (cumulative += n) }));
    return {
      utilization: utilSamples > 0 ? { value: utilSum / utilSamples, samples: utilSamples } : undefined,
      overhead: work > 0 ? { value: coordination / work, samples: workItems } : undefined,
      completionRate: completed + failed > 0 ? { value: completed / (completed + failed), samples: completed + failed } : undefined,
      conflictWaitP95: cumulative > 0 ? { value: histogramQuantile(0.95, buckets), samples: cumulative } : undefined,
    };
  }

  private flush(): void {
    const load = this.deps.poolLoad();
    const hasWork = load.usedSlots > 0 || load.queued > 0 || this.pendingSubmitted > 0;
    if (load.totalSlots > 0 && hasWork) this.utilization.add([load.usedSlots / load.totalSlots, 1]);
    this.overhead.add([this.pendingCoordination, this.pendingWork, this.pendingWorkItems]);
    this.completion.add([this.pendingCompleted, this.pendingFailed]);
    this.conflicts.add(this.pendingConflicts);
    this.pendingCoordination = this.pendingWork = this.pendingWorkItems = 0;
    this.pendingCompleted = this.pendingFailed = this.pendingSubmitted = 0;
    this.pendingConflicts.fill(0);
  }

  private apply(rule: AlertRule, reading: Reading | undefined, now: number): void {
    const threshold = rule.threshold(this.options);
    const current = this.active.get(rule.name);
    const usable = reading !== undefined && reading.samples >= this.options.minSamples ? reading : undefined;
    if (current === undefined) {
      if (usable === undefined || !breaches(rule, usable.value, threshold)) return;
      const alert: ActiveAlert = { alert: rule.name, startedAt: now, value: usable.value, threshold, message: this.message(rule, usable, threshold) };
      this.active.set(rule.name, alert);
      this.notify('raised', () => this.deps.observer?.raised?.({ ...alert }));
      return;
    }
    if (usable !== undefined && !recovered(rule, usable.value, threshold, this.options.clearMargin)) {
      current.value = usable.value;
      current.message = this.message(rule, usable, threshold);
      return;
    }
    this.active.delete(rule.name);
    const value = usable?.value ?? null;
    const cleared: AlertClearedNotification = {
      ...current,
      value,
      clearedAt: now,
      reason: usable === undefined ? 'no_data' : 'recovered',
      message: clearedMessage(rule, value, threshold, this.options.minSamples),
    };
    this.notify('cleared', () => this.deps.observer?.cleared?.(cleared));
  }

  private message(rule: AlertRule, reading: Reading, threshold: number): string {
    return raisedMessage(rule, reading.value, threshold, { samples: reading.samples, windowSeconds: this.options.windowSeconds });
  }

  private notify(kind: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.error({ err, kind }, 'alert observer failed');
    }
  }
}

function bucketOf(seconds: number): number {
  const i = CONFLICT_WAIT_BUCKETS.findIndex((le) => seconds <= le);
  return i === -1 ? CONFLICT_WAIT_BUCKETS.length : i;
}
