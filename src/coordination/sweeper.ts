import type { SignalType } from '../schemas/common.js';
import type { Log } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';

/** What one sweep did. `removedSignals` counts latest signals that expired (a type going dark). */
export interface SweepResult {
  removedSignals: number;
  removedByType: Record<SignalType, number>;
  /**
   * History entries dropped: expired ones, plus all of a forgotten agent's. A signal is in its
   * type's history too, so this overlaps removedSignals.
   */
  removedHistory: number;
  forgottenAgents: number;
  durationMs: number;
}

/** Running tallies a sweep writes into (typed array so the loop allocates nothing). */
export interface SweepTally {
  removedSignals: number;
  removedHistory: number;
  forgottenAgents: number;
  /** Latest signals removed, by type index. */
  readonly removedByIndex: Float64Array;
}

/** Runs a sweep every `intervalMs` on the injected clock; a failing sweep is logged, not fatal. */
export class Sweeper {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: { clock: Clock; log: Log },
    private readonly intervalMs: number,
    private readonly run: () => SweepResult,
  ) {}

  /** Whether the timer is scheduled. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Schedule the sweeps. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.deps.clock.setInterval(() => this.tick(), this.intervalMs);
  }

  /** Cancel the sweeps. Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    try {
      const r = this.run();
      this.deps.log.debug({ removedSignals: r.removedSignals, forgottenAgents: r.forgottenAgents, durationMs: r.durationMs }, 'coordination sweep');
    } catch (err) {
      this.deps.log.error({ err }, 'coordination sweep failed');
    }
  }
}
