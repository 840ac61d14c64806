import type { CoordinationService } from '../coordination/coordination-service.js';
import type { Log } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentChanges } from '../pool/agent-registry.js';
import { AgentViews, type AgentSummary } from '../pool/agent-views.js';
import { EventStream } from '../pool/event-stream.js';
import { PoolEventFeed } from '../pool/pool-event-feed.js';
import { MAX_REMOVAL_WAIT_MS } from '../pool/pool-options.js';
import type { PoolService } from '../pool/pool-service.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { Spawner } from '../spawn/spawner.js';
import type { Clock } from '../time/clock.js';

export interface OperatorDeps {
  clock: Clock;
  pool: PoolService;
  coordination: CoordinationService;
  breakers: CircuitBreakers;
  spawner: Spawner;
  metrics: Metrics;
  log: Log;
}

/**
 * The operator's side of the fleet, wired: agent views (list/get), changes to agents (update,
 * drain, remove: a spawned agent's process is stopped too, or it would reconnect), and the event
 * stream with the feed that fills it.
 */
export class Operator {
  readonly views: AgentViews;
  readonly events: EventStream;
  readonly feed: PoolEventFeed;

  constructor(private readonly deps: OperatorDeps) {
    const { clock, pool, coordination, breakers, spawner } = deps;
    this.views = new AgentViews(pool, {
      clock,
      routingScore: (id) => coordination.routingScore(id),
      coordination: (id) => coordination.state(id),
      breaker: (id) => breakers.view(id),
      spawnedFrom: (id) => spawner.byAgent(id)?.template,
    });
    this.events = new EventStream(clock);
    this.feed = new PoolEventFeed(this.events, this.views, (id) => pool.agents.get(id) !== undefined);
    deps.metrics.eventSubscriptionsSource = () => this.events.size;
  }

  update(agentId: string, changes: AgentChanges): AgentSummary {
    this.deps.pool.updateAgent(agentId, changes);
    this.feed.agentChanged(agentId);
    return this.views.summary(agentId);
  }

  drain(agentId: string): AgentSummary {
    this.deps.pool.drainAgent(agentId);
    return this.views.summary(agentId);
  }

  /** agent.remove: see PoolService.removeByOperator; a spawned agent's worker process is stopped as well. */
  remove(agentId: string, force: boolean): { agentId: string; removed: boolean; requeued: number } {
    const { pool, spawner, log } = this.deps;
    const agent = pool.requireAgent(agentId);
    const worker = spawner.byAgent(agentId);
    const stop = (): void => {
      if (worker) void spawner.stop(worker).catch((err: unknown) => log.warn({ err, agentId }, 'stopping a removed worker failed'));
    };
    if (worker && !force && agent.inFlight.size > 0) {
      // Drain first; the worker's exit then removes the agent (its connection closes).
      pool.drainAgent(agentId);
      this.deps.metrics.agentAdmin.labels('remove').inc();
      log.info({ agentId, inFlight: agent.inFlight.size }, 'spawned agent will be stopped once its running tasks end');
      void pool.drain(agentId, MAX_REMOVAL_WAIT_MS).then(stop);
      return { agentId, removed: false, requeued: 0 };
    }
    stop();
    return { agentId, ...pool.removeByOperator(agentId, force) };
  }

  /** A connection closed: its subscriptions end. */
  connectionClosed(sessionId: string): void {
    this.events.removeOwner(sessionId);
  }
}
