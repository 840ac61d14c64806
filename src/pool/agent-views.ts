import type { z } from 'zod';
import { AppError } from '../errors.js';
import type { AgentDetail as AgentDetailSchema, AgentSummary as AgentSummarySchema } from '../schemas/agent.js';
import type { AgentState, SignalType } from '../schemas/common.js';
import type { Clock } from '../time/clock.js';
import type { AgentRecord } from './agent-record.js';
import type { PoolService } from './pool-service.js';

export type AgentSummary = z.infer<typeof AgentSummarySchema>;
export type AgentDetail = z.infer<typeof AgentDetailSchema>;

/** What the views read besides the pool: scores and signals, breakers, who spawned what. */
export interface AgentViewSources {
  clock: Clock;
  /** Routing score in [0,1]; 0.5 for an agent with no signals. */
  routingScore: (agentId: string) => number;
  /** Latest signals with their scores, and the overload forecast (coordination.state). */
  coordination: (agentId: string) => {
    signals: { signalType: SignalType; value: number; timestamp: number }[];
    scores: Record<SignalType, number>;
    overload: { willOverload: boolean; predictedLoad: number; confidence: number };
  };
  breaker: (agentId: string) => { state: 'closed' | 'open' | 'half_open'; consecutiveFailures: number };
  /** The template an agent was spawned from, undefined when it connected on its own. */
  spawnedFrom: (agentId: string) => string | undefined;
}

/** Filters of agent.list. */
export interface AgentListFilter {
  state?: AgentState;
  capability?: string;
  template?: string;
  spawned?: boolean;
  /** Text the agent id contains. */
  q?: string;
}

export const DEFAULT_AGENT_PAGE = 100;

/**
 * The operator's view of registered agents (agent.list, agent.get, event data): each agent's
 * record joined with its routing score, signals, breaker and spawn template.
 */
export class AgentViews {
  constructor(
    private readonly pool: PoolService,
    private readonly sources: AgentViewSources,
  ) {}

  /** The summary of a registered agent, or UNKNOWN_AGENT. */
  summary(agentId: string): AgentSummary {
    return this.summarize(this.pool.operator.requireAgent(agentId));
  }

  summarize(a: AgentRecord): AgentSummary {
    const template = this.sources.spawnedFrom(a.agentId);
    return {
      agentId: a.agentId,
      state: a.lastState,
      ...(a.name !== undefined ? { name: a.name } : {}),
      ...(a.type !== undefined ? { type: a.type } : {}),
      capabilities: [...a.capabilities],
      capacity: a.capacity,
      inFlight: a.inFlight.size,
      heartbeatAgeMs: Math.max(0, Math.round(this.sources.clock.now() - a.lastHeartbeat)),
      routingScore: this.sources.routingScore(a.agentId),
      contextWindowId: a.contextWindowId,
      spawned: template !== undefined,
      ...(template !== undefined ? { template } : {}),
      tags: [...a.tags],
      registeredAt: a.registeredAt,
    };
  }

  /** Every registered agent passing the filter, ordered by id. */
  all(filter: AgentListFilter = {}): AgentSummary[] {
    const out: AgentSummary[] = [];
    for (const a of this.pool.agents.all()) {
      if (filter.q !== undefined && !a.agentId.includes(filter.q)) continue;
      if (filter.capability !== undefined && !a.capabilities.has(filter.capability)) continue;
      if (filter.state !== undefined && a.lastState !== filter.state) continue;
      const s = this.summarize(a);
      if (filter.spawned !== undefined && s.spawned !== filter.spawned) continue;
      if (filter.template !== undefined && s.template !== filter.template) continue;
      out.push(s);
    }
    return out.sort((x, y) => (x.agentId < y.agentId ? -1 : x.agentId > y.agentId ? 1 : 0));
  }

  /** One page of all(filter): the agents after the cursor's id, and a cursor when more follow. */
  list(filter: AgentListFilter, page: { cursor?: string; limit?: number }): { agents: AgentSummary[]; nextCursor?: string; total: number } {
    const matching = this.all(filter);
    const after = page.cursor === undefined ? undefined : Buffer.from(page.cursor, 'base64url').toString('utf8');
    const start = after === undefined ? 0 : matching.findIndex((s) => s.agentId > after);
    const from = start < 0 ? matching.length : start;
    const limit = page.limit ?? DEFAULT_AGENT_PAGE;
    const agents = matching.slice(from, from + limit);
    const result: { agents: AgentSummary[]; nextCursor?: string; total: number } = { agents, total: matching.length };
    if (from + limit < matching.length) result.nextCursor = Buffer.from(agents[agents.length - 1]!.agentId, 'utf8').toString('base64url');
    return result;
  }

  /** One agent in full, or UNKNOWN_AGENT. */
  detail(agentId: string): AgentDetail {
    const a = this.pool.agents.get(agentId);
    if (!a) throw new AppError('UNKNOWN_AGENT', `agent ${agentId} is not registered`, { agentId });
    const now = this.sources.clock.now();
    const c = this.sources.coordination(agentId);
    const b = this.sources.breaker(agentId);
    return {
      ...this.summarize(a),
      runningTasks: this.pool.operator.runningOn(agentId),
      signals: c.signals.map((s) => ({
        signalType: s.signalType,
        value: s.value,
        score: c.scores[s.signalType],
        ageMs: Math.max(0, Math.round(now - s.timestamp)),
      })),
      overload: { willOverload: c.overload.willOverload, predictedLoad: c.overload.predictedLoad, confidence: c.overload.confidence },
      breaker: { state: b.state === 'half_open' ? 'half-open' : b.state, consecutiveFailures: b.consecutiveFailures },
      completed: a.work.completed,
      failed: a.work.failed,
      latencyMs: a.work.latency(),
    };
  }
}
