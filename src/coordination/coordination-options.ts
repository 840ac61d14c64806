import type { SignalWeights } from '../schemas/common.js';
import { DEFAULT_SIGNAL_WEIGHTS, SIGNAL_TYPES } from '../schemas/common.js';

/** Settings of the CoordinationService; the daemon fills them from Config. */
export interface CoordinationOptions {
  /**
   * Whether the Ripple Effect Protocol steers routing. The service records and scores either way;
   * the router reads `CoordinationService.repEnabled` and falls back (`rep_disabled`) when false.
   * @defaultValue true
   */
  enableRep: boolean;
  /**
   * Lifetime of a signal that carries no ttlSeconds, in milliseconds.
   * @defaultValue 60_000
   */
  signalTtlMs: number;
  /**
   * Signals kept per agent and type; the oldest is dropped beyond this.
   * @defaultValue 100
   */
  maxHistorySize: number;
  /**
   * Period of the sweeper started by `start()`, in milliseconds.
   * @defaultValue 300_000
   */
  cleanupIntervalMs: number;
  /**
   * Weight of each dimension in the routing score. Normalised to sum to 1 (so raw values are fine).
   * @defaultValue DEFAULT_SIGNAL_WEIGHTS (load 0.25, capacity 0.25, quality 0.20, cost 0.15, availability 0.15, latency 0.15)
   */
  weights: SignalWeights;
  /**
   * Predicted load at or above which predictOverload reports willOverload.
   * @defaultValue 0.85
   */
  overloadThreshold: number;
}

/** Divide weights by their sum; throws RangeError unless all are finite, ≥ 0 and the sum is > 0. */
export function normaliseWeights(weights: SignalWeights): SignalWeights {
  let total = 0;
  for (const t of SIGNAL_TYPES) {
    const w = weights[t];
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights.${t} must be a finite number >= 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError('at least one weight must be greater than 0');
  return Object.fromEntries(SIGNAL_TYPES.map((t) => [t, weights[t] / total])) as unknown as SignalWeights;
}

/** The defaults; src/config.ts takes its own from these. */
export const DEFAULT_COORDINATION_OPTIONS: Readonly<CoordinationOptions> = Object.freeze({
  enableRep: true,
  signalTtlMs: 60_000,
  maxHistorySize: 100,
  cleanupIntervalMs: 300_000,
  weights: DEFAULT_SIGNAL_WEIGHTS,
  overloadThreshold: 0.85,
});

/** Merge options over the defaults and check them; throws RangeError on a programming mistake. */
export function resolveOptions(options: Partial<CoordinationOptions>): CoordinationOptions {
  const o = { ...DEFAULT_COORDINATION_OPTIONS, ...options };
  if (!(o.signalTtlMs > 0) || !Number.isFinite(o.signalTtlMs)) throw new RangeError(`signalTtlMs must be > 0, got ${o.signalTtlMs}`);
  if (!Number.isInteger(o.maxHistorySize) || o.maxHistorySize < 1) throw new RangeError(`maxHistorySize must be a positive integer, got ${o.maxHistorySize}`);
  if (!(o.cleanupIntervalMs > 0) || !Number.isFinite(o.cleanupIntervalMs)) throw new RangeError(`cleanupIntervalMs must be > 0, got ${o.cleanupIntervalMs}`);
  if (!(o.overloadThreshold >= 0 && o.overloadThreshold <= 1)) throw new RangeError(`overloadThreshold must be in [0,1], got ${o.overloadThreshold}`);
  return { ...o, weights: normaliseWeights(o.weights) };
}
