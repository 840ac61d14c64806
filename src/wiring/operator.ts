import type { CoordinationService } from '../coordination/coordination-service.js';
import type { LoadForecasts } from '../coordination/load-forecasts.js';
import type { Log } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentChanges } from '../pool/agent-registry.js';
import { AgentViews, type AgentSummary } from '../pool/agent-views.js';
import { AppError } from '../errors.js';
import { EventStream, type DeliveredEvent, type EventFilter } from '../pool/event-stream.js';
import type { ActiveAlert } from '../schemas/alerts.js';
import type { PoolStatus } from './pool-status.js';
import { PoolEventFeed } from '../pool/pool-event-feed.js';
import { MAX_REMOVAL_WAIT_MS } from '../pool/pool-options.js';
import type { PoolService } from '../pool/pool-service.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { Spawner } from '../spawn/spawner.js';
import type { Clock } from '../time/clock.js';

/** What the agent views read. */
export interface AgentFeedDeps {
  clock: Clock;
  pool: PoolService;
  coordination: Pick<CoordinationService, 'routingScore'>;
  /** coordination.state with the pool's forecast blended in (agent.get's overload). */
  forecasts: Pick<LoadForecasts, 'state'>;
  breakers: CircuitBreakers;
  spawner: Spawner;
}

/** The agent views, and the event stream with the feed that fills it (the pool and the alerts publish to it). */
export interface AgentFeed {
  views: AgentViews;
  events: EventStream;
  feed: PoolEventFeed;
}

/** Agent views over the pool and the event feed built on them. */
export function createAgentFeed(deps: AgentFeedDeps): AgentFeed {
  const { clock, pool, coordination, forecasts, breakers, spawner } = deps;
  const views = new AgentViews(pool, {
    clock,
    routingScore: (id) => coordination.routingScore(id),
    coordination: (id) => forecasts.state(id),
    breaker: (id) => breakers.view(id),
    spawnedFrom: (id) => spawner.byAgent(id)?.template,
  });
  const events = new EventStream(clock);
  return { views, events, feed: new PoolEventFeed(events, views, (id) => pool.agents.has(id)) };
}

export interface OperatorDeps {
  pool: PoolService;
  spawner: Spawner;
  agents: AgentFeed;
  metrics: Metrics;
  log: Log;
  /** pool.status's result (events.subscribe's snapshot). */
  poolStatus: () => Promise<PoolStatus>;
  /** The active alerts (events.subscribe's snapshot). */
  activeAlerts: () => ActiveAlert[];
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
    this.views = deps.agents.views;
    this.events = deps.agents.events;
    this.feed = deps.agents.feed;
  }

  update(agentId: string, changes: AgentChanges): AgentSummary {
    this.deps.pool.operator.updateAgent(agentId, changes);
    this.feed.agentChanged(agentId);
    return this.views.summary(agentId);
  }

  drain(agentId: string): AgentSummary {
    this.deps.pool.operator.drainAgent(agentId);
    return this.views.summary(agentId);
  }

  /** agent.remove: see PoolService.removeByOperator; a spawned agent's worker process is stopped as well. */
  remove(agentId: string, force: boolean): { agentId: string; removed: boolean; requeued: number } {
    const { pool, spawner, log } = this.deps;
    const agent = pool.operator.requireAgent(agentId);
    const worker = spawner.byAgent(agentId);
    const stop = (): void => {
      if (worker) void spawner.stop(worker).catch((err: unknown) => log.warn({ err, agentId }, 'stopping a removed worker failed'));
    };
    if (worker && !force && agent.inFlight.size > 0) {
      // Drain first; the worker's exit then removes the agent (its connection closes).
      pool.operator.drainAgent(agentId);
      this.deps.metrics.agentAdmin.labels('remove').inc();
      log.info({ agentId, inFlight: agent.inFlight.size }, 'spawned agent will be stopped once its running tasks end');
      void pool.drain(agentId, MAX_REMOVAL_WAIT_MS).then(stop);
      return { agentId, removed: false, requeued: 0 };
    }
    stop();
    return { agentId, ...pool.operator.removeByOperator(agentId, force) };
  }

  /**
   * events.subscribe: a snapshot to start from and a subscription whose events follow it, in one
   * turn so no event falls between them. Events are held until the reply has gone out (it leaves
   * in this turn's microtasks), so a client always reads the snapshot before event seq + 1.
   */
  async subscribe(owner: string, filter: EventFilter & { agentId?: string }, send: (event: DeliveredEvent) => void) {
    const stream = this.events;
    this.roomFor(owner);
    // The latency part of pool.status is read asynchronously; the rest is taken below.
    const { latency } = await this.deps.poolStatus();
    this.roomFor(owner);
    const agents = this.views.all().filter((a) => filter.agentId === undefined || a.agentId === filter.agentId);
    const snapshot = { agents, pool: { ...this.deps.pool.snapshot(), latency }, alerts: this.deps.activeAlerts() };
    let held: DeliveredEvent[] | undefined = [];
    const { subscriptionId, seq } = stream.subscribe(owner, filter, (event) => (held ? held.push(event) : send(event)));
    setImmediate(() => {
      const early = held ?? [];
      held = undefined;
      for (const event of early) send(event);
    });
    return { subscriptionId, seq, snapshot };
  }

  /** events.unsubscribe; SUBSCRIPTION_NOT_FOUND for one this connection does not hold. */
  unsubscribe(owner: string, subscriptionId: string): { ok: true } {
    if (!this.events.unsubscribe(owner, subscriptionId)) {
      throw new AppError('SUBSCRIPTION_NOT_FOUND', `no subscription ${subscriptionId} on this connection`, { subscriptionId });
    }
    return { ok: true };
  }

  /** TOO_MANY_SUBSCRIPTIONS once the connection holds the most it may. */
  private roomFor(owner: string): void {
    const stream = this.events;
    if (stream.countOf(owner) >= stream.maxPerOwner)
      throw new AppError('TOO_MANY_SUBSCRIPTIONS', `at most ${stream.maxPerOwner} per connection`, { max: stream.maxPerOwner });
  }

  /** A connection closed: its subscriptions end. */
  connectionClosed(sessionId: string): void {
    this.events.removeOwner(sessionId);
  }
}
