import { LRUCache } from 'lru-cache';
import type { StrategyName } from '../schemas/common.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { AgentRegistry } from './agent-registry.js';
import type { AgentRecord } from './agent-record.js';
import type { TaskRecord } from './task-store.js';

/** Where a task should go now: an agent, a hold for its busy sticky agent, or nowhere yet. */
export type Choice = { kind: 'agent'; agent: AgentRecord } | { kind: 'hold'; until: number } | { kind: 'none' };

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

  choose(task: TaskRecord, now: number, waitingSince: number): Choice {
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
    const pick = this.router.select(
      free.map((a) => ({ agentId: a.agentId, inFlight: a.inFlight.size, capacity: a.capacity })),
      task.strategy ?? this.options.defaultStrategy,
    );
    return { kind: 'agent', agent: this.agents.get(pick.agentId)! };
  }

  /** Remember who served an affinity key. */
  served(affinityKey: string | undefined, agentId: string): void {
    if (affinityKey !== undefined) this.affinity.set(affinityKey, agentId);
  }
}
