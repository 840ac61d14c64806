/** Settings of DispatchLog. */
export interface DispatchLogOptions {
  /** Recent choices remembered per agent (a ring; the oldest is overwritten). @defaultValue 32 */
  perAgent: number;
  /** A choice matches an attempt that started within this many ms of it. @defaultValue 5 */
  toleranceMs: number;
  /** Agents remembered; the least recently chosen is dropped first. @defaultValue 100000 */
  maxAgents: number;
}

export const DEFAULT_DISPATCH_LOG_OPTIONS: Readonly<DispatchLogOptions> = {
  perAgent: 32,
  toleranceMs: 5,
  maxAgents: 100_000,
};

class Ring {
  readonly at: Float64Array;
  readonly inFlight: Float64Array;
  readonly utilization: Float64Array;
  next = 0;
  size = 0;

  constructor(n: number) {
    this.at = new Float64Array(n);
    this.inFlight = new Float64Array(n);
    this.utilization = new Float64Array(n);
  }
}

/** What an attempt met on its agent when this router chose it. */
export interface MetLoad {
  /** This router's own tasks already on the agent (0: it arrived at an idle agent, as far as this router knows). */
  readonly inFlight: number;
  /** The utilization RIPPLE judged (share × inFlight / capacity); NaN when the capacity was unknown. */
  readonly utilization: number;
}

/**
 * What this router saw of an agent when it chose it: its own in-flight count there at the
 * decision's time. An observation tells only when an attempt ended and how long it took; the
 * pool dispatches in the same tick as it asks the router, so the attempt's start
 * (`at − latencyMs`) finds the choice that sent it, and with it the load the task met on arrival.
 * A choice that was never dispatched (router.select over RPC) simply never matches.
 */
export class DispatchLog {
  readonly options: Readonly<DispatchLogOptions>;
  private readonly rings = new Map<string, Ring>();

  constructor(options: Partial<DispatchLogOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_DISPATCH_LOG_OPTIONS, ...options });
    const { perAgent, toleranceMs, maxAgents } = this.options;
    if (!(Number.isInteger(perAgent) && perAgent >= 1 && toleranceMs >= 0 && maxAgents >= 1)) {
      throw new TypeError('DispatchLog options: perAgent a whole number >= 1, toleranceMs >= 0, maxAgents >= 1');
    }
  }

  /** Remember that the agent was chosen at `at` while this router had `inFlight` tasks there (utilization `utilization`). */
  chose(agentId: string, at: number, inFlight: number, utilization: number): void {
    let ring = this.rings.get(agentId);
    if (ring === undefined) {
      ring = new Ring(this.options.perAgent);
      this.rings.set(agentId, ring);
      if (this.rings.size > this.options.maxAgents) this.rings.delete(this.rings.keys().next().value!);
    }
    ring.at[ring.next] = at;
    ring.inFlight[ring.next] = inFlight;
    ring.utilization[ring.next] = utilization;
    ring.next = (ring.next + 1) % ring.at.length;
    if (ring.size < ring.at.length) ring.size++;
  }

  /**
   * What the attempt that started at `startedAt` met on the agent: the remembered choice closest
   * to that time within the tolerance, or undefined when none matches. Allocates its answer.
   */
  find(agentId: string, startedAt: number): MetLoad | undefined {
    const ring = this.rings.get(agentId);
    if (ring === undefined || !Number.isFinite(startedAt)) return undefined;
    let best = -1;
    let bestGap = this.options.toleranceMs;
    for (let i = 0; i < ring.size; i++) {
      const gap = Math.abs(ring.at[i]! - startedAt);
      if (gap <= bestGap) {
        best = i;
        bestGap = gap;
      }
    }
    return best < 0 ? undefined : { inFlight: ring.inFlight[best]!, utilization: ring.utilization[best]! };
  }

  /** Forget an agent's choices. */
  forget(agentId: string): boolean {
    return this.rings.delete(agentId);
  }
}
