/** Settings of SignalTrust. */
export interface SignalTrustOptions {
  /** Trust in an agent's signals before any of its claims has been checked against observations. @defaultValue 0.5 */
  initial: number;
  /** How far one fully weighted check moves trust towards its verdict, in (0, 1]. @defaultValue 0.2 */
  rate: number;
  /** A claim no more than this factor rosier (or gloomier) than what was observed counts as right. @defaultValue 1.25 */
  tolerance: number;
  /** A claim off by tolerance × span or more counts as wholly wrong; in between, partly. @defaultValue 3 */
  span: number;
  /** Agents tracked at most; the least recently checked is dropped first (and reverts to `initial`). @defaultValue 100000 */
  maxAgents: number;
}

export const DEFAULT_SIGNAL_TRUST_OPTIONS: Readonly<SignalTrustOptions> = {
  initial: 0.5,
  rate: 0.2,
  tolerance: 1.25,
  span: 3,
  maxAgents: 100_000,
};

/**
 * How far each agent's own signals can be believed, in [0, 1], learned by checking what they
 * claimed against what the daemon then observed. Claims and observations are compared as log
 * multipliers of expected completion time relative to the fleet (negative = "faster than usual").
 * Only the direction of a claim is held against it: a rosy claim is wrong by how much worse
 * reality was, a gloomy one by how much better. Weak claims (close to neutral) barely move trust.
 */
export class SignalTrust {
  readonly options: Readonly<SignalTrustOptions>;
  private readonly trust = new Map<string, number>();
  private readonly logTolerance: number;
  private readonly logSpan: number;

  constructor(options: Partial<SignalTrustOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_SIGNAL_TRUST_OPTIONS, ...options });
    const { initial, rate, tolerance, span, maxAgents } = this.options;
    if (!(initial >= 0 && initial <= 1)) throw new TypeError('SignalTrust option initial must be in [0, 1]');
    if (!(rate > 0 && rate <= 1)) throw new TypeError('SignalTrust option rate must be in (0, 1]');
    if (!(tolerance >= 1 && span > 1 && maxAgents >= 1)) throw new TypeError('SignalTrust options: tolerance >= 1, span > 1, maxAgents >= 1');
    this.logTolerance = Math.log(tolerance);
    this.logSpan = Math.log(span);
  }

  /** Current trust in the agent's signals. */
  get(agentId: string): number {
    return this.trust.get(agentId) ?? this.options.initial;
  }

  /**
   * Check one claim. `claimLog` and `observedLog` are ln(multiplier of expected completion time vs
   * the fleet) as the signals claimed and as observed; `strength` in [0, 1] is how strong the claim
   * was (0 = neutral, nothing to check).
   */
  check(agentId: string, claimLog: number, observedLog: number, strength: number): void {
    if (!(strength > 0) || !Number.isFinite(claimLog) || !Number.isFinite(observedLog)) return;
    const error = Math.max(0, claimLog < 0 ? observedLog - claimLog : claimLog - observedLog);
    const verdict = 1 - clampUnit((error - this.logTolerance) / this.logSpan);
    const current = this.get(agentId);
    this.trust.delete(agentId); // re-inserted: Map order is least recently checked first
    this.trust.set(agentId, current + this.options.rate * Math.min(1, strength) * (verdict - current));
    if (this.trust.size > this.options.maxAgents) this.trust.delete(this.trust.keys().next().value!);
  }

  /** Forget an agent (its trust reverts to `initial`). */
  forget(agentId: string): boolean {
    return this.trust.delete(agentId);
  }
}

function clampUnit(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
