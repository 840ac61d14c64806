import type { AgentRouter } from '../routing/agent-router.js';
import type { ObservedOutcome } from '../routing/strategy.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { AgentGate } from './agent-gate.js';
import type { AgentRecord } from './agent-record.js';
import type { AgentRegistry } from './agent-registry.js';
import type { Conditions } from './conditions.js';
import { fleetLoadOf } from './fleet-load.js';
import type { LoadForecaster } from './load-forecaster.js';
import type { PoolObserver } from './pool-observer.js';

/** One attempt running now: the task's current epoch, on which agent, since when. */
export interface RunningAttempt {
  readonly epoch: number;
  readonly agentId: string;
  readonly startedAt: number;
  readonly timer: TimerHandle;
  /** The circuit breaker's ticket for this attempt (its outcome is reported with it). */
  readonly ticket: number;
}

/** What RunningAttempts needs from the pool around it. */
export interface RunningAttemptsDeps {
  clock: Clock;
  /** An attempt holds one of its agent's slots while it runs. */
  agents: Pick<AgentRegistry, 'get' | 'addTask' | 'removeTask' | 'all'>;
  gate: AgentGate;
  /** Learns each attempt's latency and outcome. */
  router: Pick<AgentRouter, 'observe'>;
  observer: Pick<PoolObserver, 'attemptRan'>;
  forecaster: Pick<LoadForecaster, 'finished'>;
  /** Tasks in the queue now. */
  queued: () => number;
  /** Conditions someone is waiting on (drain, shutdown), re-checked whenever an attempt ends. */
  conditions: Pick<Conditions, 'changed'>;
}

/**
 * The bookkeeping of the attempts running now, one per task at most: the agent slot each takes,
 * its circuit-breaker ticket and its timeout timer, and, when it ends, what everyone who learns
 * from attempts is told (router, circuit breaker, load forecaster, metrics, waiting conditions).
 * What the end means for the task is not decided here (see attempt-outcomes.ts).
 */
export class RunningAttempts {
  private readonly attempts = new Map<string, RunningAttempt>();

  constructor(private readonly deps: RunningAttemptsDeps) {}

  /** Attempts running now. */
  get size(): number {
    return this.attempts.size;
  }

  /** The attempt of `taskId` running now, if any (callers check its epoch and agent). */
  get(taskId: string): RunningAttempt | undefined {
    return this.attempts.get(taskId);
  }

  /** Every running attempt, as a copy safe to end attempts while walking it. */
  entries(): [taskId: string, run: RunningAttempt][] {
    return [...this.attempts];
  }

  /** Start epoch `epoch` of `taskId` on `agent`: it takes a slot and a gate ticket, and `timedOut` runs after `timeoutMs`. */
  start(taskId: string, epoch: number, agent: AgentRecord, at: { startedAt: number; timeoutMs: number }, timedOut: () => void): void {
    this.deps.agents.addTask(agent, taskId);
    // Chosen as available in this same tick, so the gate lets it through; -1 would simply not count.
    const ticket = this.deps.gate.attempt(agent.agentId) ?? -1;
    const timer = this.deps.clock.setTimeout(timedOut, at.timeoutMs);
    this.attempts.set(taskId, { epoch, agentId: agent.agentId, startedAt: at.startedAt, timer, ticket });
  }

  /** Close the bookkeeping of a running attempt; the router learns from its outcome (unless cancelled). */
  end(taskId: string, run: RunningAttempt, outcome: ObservedOutcome | 'cancelled'): void {
    const { clock, agents, gate, router, observer, forecaster, conditions } = this.deps;
    this.attempts.delete(taskId);
    clock.clearTimeout(run.timer);
    const agent = agents.get(run.agentId);
    if (agent) agents.removeTask(agent, taskId);
    const now = clock.now();
    observer.attemptRan?.((now - run.startedAt) / 1000);
    if (outcome !== 'cancelled' && outcome !== 'lost') forecaster.finished(now, this.deps.queued(), () => fleetLoadOf(agents.all(), 0).capacity);
    if (outcome === 'cancelled') {
      gate.abandon(run.agentId, run.ticket);
    } else {
      router.observe({ agentId: run.agentId, latencyMs: now - run.startedAt, outcome, at: now });
      if (outcome !== 'lost') agent?.work.record(outcome === 'completed' ? 'completed' : 'failed', now - run.startedAt);
      if (outcome === 'completed') gate.success(run.agentId, run.ticket);
      else gate.failure(run.agentId, run.ticket);
    }
    conditions.changed();
  }
}
