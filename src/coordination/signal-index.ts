import { INVERTED_SIGNALS, SIGNAL_TYPES, type SignalType } from '../schemas/common.js';

/** Number of signal types; per-agent arrays are this long. */
export const SIGNAL_COUNT = SIGNAL_TYPES.length;

/** Position of each signal type in per-agent arrays (the order of SIGNAL_TYPES). */
export const TYPE_INDEX: Readonly<Record<SignalType, number>> = Object.fromEntries(SIGNAL_TYPES.map((type, i) => [type, i])) as Record<SignalType, number>;

/** Whether a higher value is worse, by type index (load, cost, latency). */
export const INVERTED_BY_INDEX: readonly boolean[] = SIGNAL_TYPES.map((t) => INVERTED_SIGNALS.has(t));

/** A zeroed counter per signal type; the shape the metrics schemas use. */
export function zeroByType(): Record<SignalType, number> {
  return Object.fromEntries(SIGNAL_TYPES.map((t) => [t, 0])) as Record<SignalType, number>;
}

/** Turn a per-index counter array into a per-type record. */
export function byType(counts: ArrayLike<number>): Record<SignalType, number> {
  const out = zeroByType();
  for (let i = 0; i < SIGNAL_COUNT; i++) out[SIGNAL_TYPES[i]!] = counts[i]!;
  return out;
}
