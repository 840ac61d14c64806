import { byType, SIGNAL_COUNT } from './signal-index.js';
import type { CoordinationStats } from './types.js';

/** The service's running counters, indexed by signal type where they are per type. */
export class CoordinationCounters {
  readonly accepted = new Float64Array(SIGNAL_COUNT);
  readonly rejected = new Float64Array(SIGNAL_COUNT);
  readonly expired = new Float64Array(SIGNAL_COUNT);
  rejectedUntyped = 0;
  predictions = 0;
  overloadsPredicted = 0;
  sweepRuns = 0;
  lastSweepDurationMs = 0;
  lastSweepRemovedSignals = 0;

  /** A snapshot in the shape of the CoordinationMetrics schema. */
  snapshot(agentsTracked: number): CoordinationStats {
    return {
      signals: {
        accepted: byType(this.accepted),
        rejected: byType(this.rejected),
        expired: byType(this.expired),
        rejectedUntyped: this.rejectedUntyped,
      },
      agentsTracked,
      predictions: { total: this.predictions, overloadPredicted: this.overloadsPredicted },
      sweeps: { runs: this.sweepRuns, lastDurationMs: this.lastSweepDurationMs, lastRemovedSignals: this.lastSweepRemovedSignals },
    };
  }
}
