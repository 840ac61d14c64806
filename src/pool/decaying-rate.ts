/**
 * An event rate (events per second) as an exponentially weighted moving average with time
 * constant `tauMs`: every event adds 1/τ, and the sum decays by exp(−Δt/τ) as time passes. For
 * a steady Poisson stream it reads the true rate on average; after a step in the rate it has
 * moved 63% of the way within τ. O(1) and allocation-free per event and per read.
 */
export class DecayingRate {
  private value = 0;
  private at = Number.NaN;
  /** Events counted so far (not decayed), so readers can tell an estimate from no data. */
  events = 0;

  constructor(private readonly tauMs: number) {
    if (!(tauMs > 0)) throw new RangeError(`tauMs must be > 0, got ${tauMs}`);
  }

  /** Count one event (of `weight`, 1 by default) at `now` (ms); an earlier time than the last counts as the last. */
  add(now: number, weight = 1): void {
    this.value = this.read(now) + (weight * 1000) / this.tauMs;
    if (!(now < this.at)) this.at = now;
    this.events++;
  }

  /** Events per second at `now`. */
  read(now: number): number {
    if (Number.isNaN(this.at)) return 0;
    const age = now - this.at;
    return age > 0 ? this.value * Math.exp(-age / this.tauMs) : this.value;
  }

  /** The estimate's weight in events: how many events the current reading rests on (rate × τ). */
  mass(now: number): number {
    return (this.read(now) * this.tauMs) / 1000;
  }
}
