import { DecayingRate } from './decaying-rate.js';

/** Settings of the pool's load forecast. */
export interface LoadForecasterOptions {
  /** Time constant of the arrival and completion rate estimates, ms. @defaultValue 3000 */
  rateTauMs: number;
  /**
   * Time constant of the saturated throughput per slot, in ms of time spent saturated (the clock
   * of this estimate stands still while the queue is empty, so it remembers the last overload).
   * @defaultValue 10000
   */
  saturatedTauMs: number;
  /** Completions (seen while saturated, or at all) from which a forecast has full confidence. @defaultValue 20 */
  fullConfidenceEvents: number;
  /**
   * How long the eligible slot count, read while saturated to learn the throughput per slot, is
   * reused before it is read again (reading it walks every agent). @defaultValue 1000
   */
  capacityRefreshMs: number;
}

export const DEFAULT_LOAD_FORECASTER_OPTIONS: Readonly<LoadForecasterOptions> = {
  rateTauMs: 3000,
  saturatedTauMs: 10_000,
  fullConfidenceEvents: 20,
  capacityRefreshMs: 1000,
};

/** The pool as the forecast needs it: slots that take work, slots busy, tasks queued. */
export interface FleetLoad {
  /** Slots of the agents that may take new work (not draining, not degraded). */
  capacity: number;
  /** Tasks in flight on those agents. */
  busy: number;
  /** Tasks waiting in the queue. */
  queued: number;
}

/** One agent as the forecast needs it. */
export interface AgentLoad {
  inFlight: number;
  capacity: number;
  /** Whether it may take new work (a draining or degraded agent only empties). */
  eligible: boolean;
}

/** The pool's forecast of one agent's load. */
export interface LoadForecast {
  /** inFlight / capacity expected `horizonSeconds` ahead, in [0, 1]. */
  predictedLoad: number;
  /** In [0, 1]: how much measured throughput the forecast rests on. */
  confidence: number;
  /** Whether the pool as a whole is expected to have a backlog then (every eligible slot taken). */
  saturated: boolean;
}

/**
 * Forecasts each agent's load from what the pool itself measures: tasks arriving, attempts
 * finishing, the queue, and every agent's slots. A fluid model of the pool's queue:
 *
 * - N, the tasks in the system (in flight + queued), changes as dN/dt = λ − μ · min(N, C) / C,
 *   with λ the arrival rate, C the eligible slots and μ the pool's throughput when every slot is
 *   taken (learned from completions while the queue was not empty, per slot, so a fleet that grows
 *   or shrinks is scaled; before any overload, the current throughput scaled to all slots).
 * - Above C the backlog grows or drains linearly; below it N relaxes towards λ·C/μ with time
 *   constant C/μ (the mean time a task holds a slot) and crosses C, if ever, at a time solved
 *   exactly. So the forecast sees a backlog that will last past the horizon, one that will drain
 *   before it, and arrivals that outrun the fleet before any slot is full.
 * - An agent is full when the pool is saturated at the horizon; otherwise its own utilization
 *   relaxes towards the fleet's with the same time constant (which slots are busy decorrelates
 *   within a few task times). A draining or degraded agent only empties.
 */
export class LoadForecaster {
  readonly options: Readonly<LoadForecasterOptions>;
  private readonly arrivals: DecayingRate;
  private readonly completions: DecayingRate;
  /** The last throughput per busy slot read while some slot was busy (before any saturation). */
  private perBusySlot = 0;
  /** Completions per slot, on the saturated-time clock. */
  private readonly saturatedPerSlot: DecayingRate;
  private saturatedClock = 0;
  private lastAt = Number.NaN;
  private saturated = false;
  private capacity = 0;
  private capacityAt = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<LoadForecasterOptions> = {}) {
    this.options = { ...DEFAULT_LOAD_FORECASTER_OPTIONS, ...options };
    this.arrivals = new DecayingRate(this.options.rateTauMs);
    this.completions = new DecayingRate(this.options.rateTauMs);
    this.saturatedPerSlot = new DecayingRate(this.options.saturatedTauMs);
  }

  /** A task was submitted at `now`; `queued` is the queue length just before it. */
  arrived(now: number, queued: number): void {
    this.advance(now, queued);
    this.arrivals.add(now);
  }

  /**
   * An attempt freed its slot at `now`, with `queued` tasks waiting for it; `capacity` tells the
   * eligible slots (asked only while the queue is not empty, at most once per capacityRefreshMs,
   * as it costs a walk over the agents).
   */
  finished(now: number, queued: number, capacity: () => number): void {
    this.advance(now, queued);
    this.completions.add(now);
    if (!this.saturated) return;
    if (now - this.capacityAt >= this.options.capacityRefreshMs || now < this.capacityAt) {
      this.capacity = capacity();
      this.capacityAt = now;
    }
    if (this.capacity > 0) this.saturatedPerSlot.add(this.saturatedClock, 1 / this.capacity);
  }

  /** The fleet's throughput with every slot taken, tasks per second; undefined when nothing is known. */
  throughputAtCapacity(now: number, fleet: FleetLoad): number | undefined {
    const perSlot = this.perSlot(now, fleet);
    return perSlot > 0 ? perSlot * fleet.capacity : undefined;
  }

  /**
   * Throughput of one slot: as measured while saturated; before any saturation, the current
   * throughput over the slots busy now (the last such reading while none is busy).
   */
  private perSlot(now: number, fleet: FleetLoad): number {
    if (this.saturatedPerSlot.events > 0) return this.saturatedPerSlot.read(this.saturatedClock);
    const busy = Math.min(fleet.capacity, fleet.busy);
    if (busy > 0) this.perBusySlot = this.completions.read(now) / busy;
    return this.perBusySlot;
  }

  /** Forecast one agent's load `horizonSeconds` after `now`; undefined before any attempt has finished. */
  forecast(now: number, fleet: FleetLoad, agent: AgentLoad, horizonSeconds: number): LoadForecast | undefined {
    this.advance(now, fleet.queued);
    if (agent.capacity <= 0 || this.completions.events === 0) return undefined;
    const own = Math.min(1, agent.inFlight / agent.capacity);
    const perSlot = this.perSlot(now, fleet);
    // The mean time a task holds a slot: how fast which slots are busy decorrelates.
    const relax = perSlot > 0 ? Math.exp(-horizonSeconds * perSlot) : 1;
    const mu = perSlot * fleet.capacity;
    const events = this.saturatedPerSlot.events > 0 ? this.saturatedPerSlot.events : this.completions.events;
    const confidence = Math.min(1, events / this.options.fullConfidenceEvents);
    if (!agent.eligible || !(mu > 0)) return { predictedLoad: own * relax, confidence, saturated: false };
    const lambda = this.arrivals.read(now);
    const n = projectInSystem(fleet.busy + fleet.queued, fleet.capacity, lambda, mu, horizonSeconds);
    const saturated = n >= fleet.capacity;
    const fleetNow = Math.min(1, (fleet.busy + fleet.queued) / fleet.capacity);
    const fleetThen = Math.min(1, n / fleet.capacity);
    const predictedLoad = saturated ? 1 : clampUnit(fleetThen + (own - fleetNow) * relax);
    return { predictedLoad, confidence, saturated };
  }

  /** Move the saturated-time clock on to `now`; the pool is saturated from now on iff `queued > 0`. */
  private advance(now: number, queued: number): void {
    if (this.saturated && now > this.lastAt) this.saturatedClock += now - this.lastAt;
    if (!(now < this.lastAt)) this.lastAt = now;
    this.saturated = queued > 0;
  }
}

const clampUnit = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Tasks in the system after `h` seconds of the fluid model dN/dt = λ − μ·min(N, C)/C from N0.
 * Exact piecewise solution: linear above C, exponential relaxation towards λC/μ below it.
 */
export function projectInSystem(n0: number, c: number, lambda: number, mu: number, h: number): number {
  let n = n0;
  let left = h;
  if (n > c) {
    const net = lambda - mu;
    if (net >= 0) return n + net * left;
    const drain = (n - c) / -net;
    if (drain >= left) return n + net * left;
    n = c;
    left -= drain;
  }
  const target = (lambda * c) / mu;
  const rate = mu / c;
  if (target > c) {
    // Crosses C at s = ln((target − n)/(target − c)) / rate; after that the backlog grows linearly.
    const cross = n >= c ? 0 : Math.log((target - n) / (target - c)) / rate;
    if (cross <= left) return c + (lambda - mu) * (left - cross);
  }
  return target + (n - target) * Math.exp(-rate * left);
}
