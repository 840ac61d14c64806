import type { SignalTrustOptions } from './signal-trust.js';
import type { WaitOptions } from './wait-advice.js';

/** Settings of RIPPLE_COORDINATION (see docs/routing.md for the reasoning behind each). */
export interface RippleOptions {
  /**
   * Candidates drawn at random per decision; the cheapest of them wins. A sample, not the whole
   * list, so that many routers acting on the same stale view spread out instead of herding onto
   * one agent, and a decision costs O(sampleSize) whatever the fleet size. @defaultValue 8
   */
  sampleSize: number;
  /**
   * How much an agent's utilization (inFlight / capacity) stretches a new task's completion:
   * × (1 + this × utilization), so a full agent takes 1 + this times as long as an idle one.
   * @defaultValue 2
   */
  loadSensitivity: number;
  /** Fully trusted signals scale expected completion time within [1 / range, range]. @defaultValue 2 */
  signalRange: number;
  /** A predicted overload multiplies expected completion time by up to 1 + this (× confidence × trust). @defaultValue 1 */
  overloadPenalty: number;
  /** Horizon asked of the overload predictor. @defaultValue 5 */
  overloadHorizonSeconds: number;
  /** A failed attempt costs its own latency plus this many reference latencies (retry, lost attempt). @defaultValue 4 */
  failurePenalty: number;
  /**
   * A signal's weight also fades with its age measured in typical task times:
   * × exp(−age / (this × reference latency)), when the score source tells signal age. @defaultValue 2
   */
  signalHorizon: number;
  /**
   * Scale each agent's utilization by how much more load the agents report than this router has
   * there, learned from their reports (other daemons or pools sharing them; see load-share.ts). Needs the
   * score source's forecastLoad and lastSignalAt and a known capacity. @defaultValue true
   */
  loadShare: boolean;
  /**
   * Learn how a task stretches with the utilization it meets (a fleet-wide curve, anchored on each
   * agent's latency when it was idle, see load-curve.ts) instead of assuming 1 + loadSensitivity·u.
   * Needs the router's own choices to be dispatched (the pool's attempts are matched to them by
   * their start). @defaultValue true
   */
  loadCurve: boolean;
  /** How trust in each agent's signals is learned. */
  trust: Partial<SignalTrustOptions>;
  /** Whether and how readily a task is held for a busy agent expected to finish it sooner (see wait-advice.ts). */
  wait: Partial<WaitOptions>;
}

export const DEFAULT_RIPPLE_OPTIONS: Readonly<RippleOptions> = {
  sampleSize: 8,
  loadSensitivity: 2,
  signalRange: 2,
  overloadPenalty: 1,
  overloadHorizonSeconds: 5,
  failurePenalty: 4,
  signalHorizon: 2,
  loadShare: true,
  loadCurve: true,
  trust: {},
  wait: {},
};
