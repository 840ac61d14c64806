import { LRUCache } from 'lru-cache';
import type { StrategyName } from '../schemas/common.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { Candidate } from '../routing/strategy.js';
import type { AgentRegistry } from './agent-registry.js';
import type { AgentRecord } from './agent-record.js';
import type { TaskRecord } from './task-store.js';

/**
 * Where a task should go now: an agent, a hold for its busy sticky agent, a wait for a busy agent
 * the router expects to finish it sooner than any free one (until `until` at the latest), or
 * nowhere yet.
 */
export type Choice = { kind: 'agent'; agent: AgentRecord } | { kind: 'hold'; until: number } | { kind: 'wait'; until: number } | { kind: 'none' };

/** Where the task stands in the queue, for the router's wait advice. */
export interface QueuePlace {
  /** When the current wait for a better agent ends, if the task is held for one. */
  heldUntil?: number;
  /** Tasks held ahead of it for the same busy agents. */
  ahead: number;
}

export interface AgentSelectorOptions {
  /** How long a task waits for its busy sticky agent. @defaultValue 2000 */
  affinityWaitMs: number;
  /** affinityKey → agent entries remembered (least recently used dropped). @defaultValue 10000 */
  maxAffinityKeys: number;
  /** Strategy for tasks that name none. @defaultValue 'RIPPLE_COORDINATION' */
  defaultStrategy: StrategyName;
}

/**
 * The assignment order: the preferred agent if it can take the task; else the agent that last
 * served the same affinity key (waiting a bounded time for it when busy); else the router's choice
 * among live agents with the capabilities and a free slot.
 */
export class AgentSelector {
  private readonly affinity: LRUCache<string, string>;

  constructor(
    private readonly agents: AgentRegistry,
    private readonly router: AgentRouter,
    private readonly options: AgentSelectorOptions,
  ) {
    this.affinity = new LRUCache({ max: options.maxAffinityKeys });
  }

  choose(task: TaskRecord, now: number, waitingSince: number, place: QueuePlace = { ahead: 0 }): Choice {
    const required = task.requiredCapabilities;
    if (task.preferredAgentId !== undefined) {
      const preferred = this.agents.get(task.preferredAgentId);
      if (preferred && this.agents.canTake(preferred, required)) return { kind: 'agent', agent: preferred };
    }
    if (task.affinityKey !== undefined) {
      const sticky = this.agents.get(this.affinity.get(task.affinityKey) ?? '');
      if (sticky && this.agents.canTake(sticky, required)) return { kind: 'agent', agent: sticky };
      const until = waitingSince + this.options.affinityWaitMs;
      const couldServe = sticky && !sticky.draining && !sticky.degraded && required.every((c) => sticky.capabilities.has(c));
      if (couldServe && now < until) return { kind: 'hold', until };
    }
    const free = this.agents.free(required);
    if (free.length === 0) return { kind: 'none' };
    const strategy = task.strategy ?? this.options.defaultStrategy;
    const candidates = free.map(candidateOf);
    // A preferred agent or an affinity key fixes the agent: those tasks are not second-guessed.
    let shortlist: readonly Candidate[] = candidates;
    if (task.preferredAgentId === undefined && task.affinityKey === undefined) {
      const wait = this.waitFor(task, strategy, candidates, now, place);
      if (wait.kind === 'wait') return wait;
      if (wait.shortlist !== undefined && wait.shortlist.length > 0) shortlist = wait.shortlist;
    }
    const pick = this.router.select(shortlist, strategy);
    return { kind: 'agent', agent: this.agents.get(pick.agentId)! };
  }

  /**
   * Hold the task for a busy agent when the router advises it, within bounds: a hold ends once it
   * has lasted as long as the best free agent was expected to take, or the affinity wait, or the
   * task's attempt timeout, whichever is shortest (fixed when the hold starts). Past its bound the
   * task takes a free slot like any other.
   */
  private waitFor(
    task: TaskRecord,
    strategy: StrategyName,
    free: Candidate[],
    now: number,
    place: QueuePlace,
  ): { kind: 'wait'; until: number } | { kind: 'place'; shortlist?: readonly Candidate[] } {
    const expired = place.heldUntil !== undefined && now >= place.heldUntil;
    const busy = expired ? [] : this.agents.busy(task.requiredCapabilities).map(candidateOf);
    const advice = this.router.adviseWait({ taskId: task.taskId, ahead: place.ahead }, free, busy, strategy);
    if (advice === undefined) return { kind: 'place' };
    if (!advice.wait) return { kind: 'place', shortlist: advice.shortlist };
    const until = place.heldUntil ?? now + Math.min(advice.bestFreeMs, this.options.affinityWaitMs, task.timeoutMs);
    return now < until ? { kind: 'wait', until } : { kind: 'place' };
  }

  /** Remember who served an affinity key. */
  served(affinityKey: string | undefined, agentId: string): void {
    if (affinityKey !== undefined) this.affinity.set(affinityKey, agentId);
  }
}

function candidateOf(a: AgentRecord): Candidate {
  return { agentId: a.agentId, inFlight: a.inFlight.size, capacity: a.capacity };
}
