import type { AlertName } from '../schemas/alerts.js';

/** The thresholds the rules compare against (config.file.alerts). */
export interface AlertThresholds {
  /** Raise utilization_low below this mean utilization. */
  utilizationMin: number;
  /** Raise utilization_high above this mean utilization. */
  utilizationMax: number;
  /** Raise coordination_overhead_high above this ratio of daemon time to agent time. */
  overheadMax: number;
  /** Raise completion_rate_low below this share of finished tasks that completed. */
  completionRateMin: number;
  /** Raise conflict_resolution_slow when the p95 wait exceeds this many seconds. */
  conflictResolutionMaxSeconds: number;
}

/** A value computed over the window, and how many samples it rests on. */
export interface Reading {
  value: number;
  samples: number;
}

/** Everything the rules read, computed once per evaluation; undefined when there is nothing to compute from. */
export interface WindowReadings {
  /** Mean pool utilization over the evaluations that had capacity and work (see alert-evaluator). */
  utilization: Reading | undefined;
  /** Daemon coordination seconds / agent work seconds; samples = agent work observations. */
  overhead: Reading | undefined;
  /** completed / (completed + failed); samples = tasks that finished either way. */
  completionRate: Reading | undefined;
  /** p95 of conflict wait seconds (resolved and escalated); samples = conflicts. */
  conflictWaitP95: Reading | undefined;
}

/** What the parenthetical of a message is built from. */
export interface RuleContext {
  samples: number;
  windowSeconds: number;
}

/** One alert as data: what it reads, which way it breaches, and how it reads to a human. */
export interface AlertRule {
  readonly name: AlertName;
  readonly description: string;
  /** Raise when the value is strictly below or strictly above the threshold. */
  readonly when: 'below' | 'above';
  /** The best possible value; clearing needs the value back inside by a share of the distance to it. */
  readonly best: number;
  /** What the value is, for messages ("pool utilization"). */
  readonly subject: string;
  readonly unit: 'ratio' | 'seconds';
  threshold(t: AlertThresholds): number;
  read(r: WindowReadings): Reading | undefined;
  /** What the value rests on, for messages. */
  basis(c: RuleContext): string;
}

/** The five performance alerts, in the order they are evaluated and listed. */
export const ALERT_RULES: readonly AlertRule[] = [
  {
    name: 'utilization_low',
    description: 'Agents sit idle while there is work: mean pool utilization below utilizationMin.',
    when: 'below',
    best: 1,
    subject: 'pool utilization',
    unit: 'ratio',
    threshold: (t) => t.utilizationMin,
    read: (r) => r.utilization,
    basis: (c) => `mean of ${c.samples} samples with work over ${c.windowSeconds} s`,
  },
  {
    name: 'utilization_high',
    description: 'The pool is saturated: mean pool utilization above utilizationMax.',
    when: 'above',
    best: 0,
    subject: 'pool utilization',
    unit: 'ratio',
    threshold: (t) => t.utilizationMax,
    read: (r) => r.utilization,
    basis: (c) => `mean of ${c.samples} samples with work over ${c.windowSeconds} s`,
  },
  {
    name: 'coordination_overhead_high',
    description: "The daemon's own coordination time exceeds overheadMax of the time agents spend on the work it gives them.",
    when: 'above',
    best: 0,
    subject: 'coordination overhead (share of agent work time)',
    unit: 'ratio',
    threshold: (t) => t.overheadMax,
    read: (r) => r.overhead,
    basis: (c) => `${c.samples} work items over ${c.windowSeconds} s`,
  },
  {
    name: 'completion_rate_low',
    description: 'Too many tasks fail: completed / (completed + failed) below completionRateMin (cancelled tasks not counted).',
    when: 'below',
    best: 1,
    subject: 'task completion rate',
    unit: 'ratio',
    threshold: (t) => t.completionRateMin,
    read: (r) => r.completionRate,
    basis: (c) => `${c.samples} tasks finished over ${c.windowSeconds} s`,
  },
  {
    name: 'conflict_resolution_slow',
    description: 'Contended resources are slow to free up: p95 conflict wait above conflictResolutionMaxSeconds.',
    when: 'above',
    best: 0,
    subject: 'p95 conflict resolution time',
    unit: 'seconds',
    threshold: (t) => t.conflictResolutionMaxSeconds,
    read: (r) => r.conflictWaitP95,
    basis: (c) => `${c.samples} conflicts over ${c.windowSeconds} s`,
  },
];

const format = (rule: AlertRule, v: number): string =>
  rule.unit === 'ratio' ? `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%` : `${v < 1 ? v.toFixed(3) : v.toFixed(2)} s`;

/** "pool utilization 25.0% is below 60.0% (mean of 20 samples with work over 300 s)" */
export function raisedMessage(rule: AlertRule, value: number, threshold: number, c: RuleContext): string {
  return `${rule.subject} ${format(rule, value)} is ${rule.when} ${format(rule, threshold)} (${rule.basis(c)})`;
}

/** "pool utilization 80.0% is back within 60.0%", or why it can no longer be computed. */
export function clearedMessage(rule: AlertRule, value: number | null, threshold: number, minSamples: number): string {
  return value === null
    ? `${rule.subject}: fewer than ${minSamples} samples in the window, no longer evaluated`
    : `${rule.subject} ${format(rule, value)} is back within ${format(rule, threshold)}`;
}

/** Whether `value` is past the threshold (strictly). */
export function breaches(rule: AlertRule, value: number, threshold: number): boolean {
  return rule.when === 'below' ? value < threshold : value > threshold;
}

/**
 * Whether a raised alert may clear: the value is back inside the threshold by `margin` of the
 * distance between the threshold and the best value (hysteresis, so a value hovering at the
 * threshold does not raise and clear on every evaluation).
 */
export function recovered(rule: AlertRule, value: number, threshold: number, margin: number): boolean {
  const inside = threshold + (rule.best - threshold) * margin;
  return rule.when === 'below' ? value >= inside : value <= inside;
}
