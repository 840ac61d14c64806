import type { Clock, TimerHandle } from '../time/clock.js';

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface CircuitBreakerOptions {
  /** Consecutive failures that open an agent's breaker. @defaultValue 5 */
  failureThreshold: number;
  /** How long an open breaker keeps the agent out before one trial is let through. @defaultValue 30000 */
  cooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<CircuitBreakerOptions> = { failureThreshold: 5, cooldownMs: 30_000 };

export interface BreakerTransition {
  readonly agentId: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failures: number;
}

export interface CircuitBreakerDeps {
  clock: Clock;
  /**
   * Whether the agent is still there. Reports about agents that left (a call failing because its
   * connection closed, after the pool already forgot the agent) are ignored, so no entry outlives
   * its agent. @defaultValue every agent is live
   */
  isLive?: (agentId: string) => boolean;
  /** Told of every state change (metrics, logs). */
  onTransition?: (t: BreakerTransition) => void;
}

interface Breaker {
  state: BreakerState;
  failures: number;
  openedAt: number;
  /** In half_open, the ticket of the one trial call, once it is out. */
  trial: number | undefined;
  timer: TimerHandle | undefined;
}

/** What coordination.state shows for one agent. */
export interface BreakerView {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt?: number;
}

/**
 * Per-agent circuit breakers shared by message routing and task assignment (Envoy's outlier
 * detection, simplified): K consecutive failures open it and keep the agent out of routing; after
 * the cooldown it is half-open and lets exactly one trial through; that trial's success closes it,
 * its failure opens it again for another cooldown. Agents with no failures have no entry.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, Breaker>();
  private readonly reopenListeners: (() => void)[] = [];
  private readonly options: CircuitBreakerOptions;
  private tickets = 0;

  constructor(
    private readonly deps: CircuitBreakerDeps,
    options: Partial<CircuitBreakerOptions> = {},
  ) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
  }

  /** Call `listener` after each breaker goes half-open (its trial may go out): the pool subscribes to try dispatching again. */
  onReopen(listener: () => void): void {
    this.reopenListeners.push(listener);
  }

  /** Whether routing may pick this agent now (closed, or half-open with its trial not yet out). */
  available(agentId: string): boolean {
    const b = this.breakers.get(agentId);
    return b === undefined || b.state === 'closed' || (b.state === 'half_open' && b.trial === undefined);
  }

  /**
   * Take a call to the agent: returns its ticket, which its outcome must carry, or undefined when
   * the breaker does not let it through (open, or half-open with the trial already out). In
   * half-open the call that gets through is the one trial. Check and take are one step, so two
   * callers that both saw the agent available cannot both become the trial.
   */
  attempt(agentId: string): number | undefined {
    const ticket = ++this.tickets;
    const b = this.breakers.get(agentId);
    if (b === undefined || b.state === 'closed') return ticket;
    if (b.state === 'open' || b.trial !== undefined) return undefined;
    b.trial = ticket;
    return ticket;
  }

  /**
   * The call ended without telling anything about the agent (the task was cancelled, the daemon is
   * shutting down): if it was the half-open trial, the trial is given back for the next call.
   */
  abandon(agentId: string, ticket: number): void {
    const b = this.breakers.get(agentId);
    if (b?.state === 'half_open' && b.trial === ticket) b.trial = undefined;
  }

  /** A call to the agent succeeded: the breaker closes and forgets past failures. */
  success(agentId: string, ticket: number): void {
    const b = this.breakers.get(agentId);
    if (b === undefined || !this.moves(b, ticket)) return;
    this.clearTimer(b);
    this.breakers.delete(agentId);
    if (b.state !== 'closed') this.emit(agentId, b.state, 'closed', 0);
  }

  /** A call to the agent failed (error, timeout or lost connection). */
  failure(agentId: string, ticket: number): void {
    let b = this.breakers.get(agentId);
    if (b === undefined) {
      if (!(this.deps.isLive?.(agentId) ?? true)) return;
      b = { state: 'closed', failures: 0, openedAt: 0, trial: undefined, timer: undefined };
      this.breakers.set(agentId, b);
    }
    if (!this.moves(b, ticket)) return;
    b.failures++;
    if (b.state === 'half_open' || b.failures >= this.options.failureThreshold) this.open(agentId, b);
  }

  /**
   * Whether an outcome moves the breaker: every outcome while closed; while half-open only the
   * trial's (a call sent before the breaker opened says nothing about the agent now); none while open.
   */
  private moves(b: Breaker, ticket: number): boolean {
    return b.state === 'closed' || (b.state === 'half_open' && b.trial === ticket);
  }

  /** The agent left: its breaker goes with it. */
  forget(agentId: string): void {
    const b = this.breakers.get(agentId);
    if (b === undefined) return;
    this.clearTimer(b);
    this.breakers.delete(agentId);
  }

  state(agentId: string): BreakerState {
    return this.breakers.get(agentId)?.state ?? 'closed';
  }

  view(agentId: string): BreakerView {
    const b = this.breakers.get(agentId);
    if (b === undefined) return { state: 'closed', consecutiveFailures: 0 };
    return b.state === 'closed'
      ? { state: b.state, consecutiveFailures: b.failures }
      : { state: b.state, consecutiveFailures: b.failures, openedAt: b.openedAt };
  }

  /** Every agent with a breaker entry (failures counted, open or half-open). */
  entries(): (BreakerView & { agentId: string })[] {
    return [...this.breakers.keys()].map((agentId) => ({ agentId, ...this.view(agentId) }));
  }

  /** Agents by breaker state (agents never failed count as closed only when `known` lists them). */
  byState(known: Iterable<string> = []): Record<BreakerState, number> {
    const out: Record<BreakerState, number> = { closed: 0, open: 0, half_open: 0 };
    const seen = new Set<string>();
    for (const [agentId, b] of this.breakers) {
      out[b.state]++;
      seen.add(agentId);
    }
    for (const agentId of known) if (!seen.has(agentId)) out.closed++;
    return out;
  }

  /** Stop the cooldown timers (daemon shutdown). */
  stop(): void {
    for (const b of this.breakers.values()) this.clearTimer(b);
  }

  private open(agentId: string, b: Breaker): void {
    const from = b.state;
    b.state = 'open';
    b.trial = undefined;
    b.openedAt = this.deps.clock.now();
    this.clearTimer(b);
    b.timer = this.deps.clock.setTimeout(() => this.halfOpen(agentId), this.options.cooldownMs);
    this.emit(agentId, from, 'open', b.failures);
  }

  private halfOpen(agentId: string): void {
    const b = this.breakers.get(agentId);
    if (b === undefined || b.state !== 'open') return;
    b.timer = undefined;
    b.state = 'half_open';
    b.trial = undefined;
    this.emit(agentId, 'open', 'half_open', b.failures);
    for (const listener of this.reopenListeners) listener();
  }

  private clearTimer(b: Breaker): void {
    if (b.timer !== undefined) this.deps.clock.clearTimeout(b.timer);
    b.timer = undefined;
  }

  private emit(agentId: string, from: BreakerState, to: BreakerState, failures: number): void {
    this.deps.onTransition?.({ agentId, from, to, failures });
  }
}
