import { AppError } from '../errors.js';
import type { DeliveredEvent } from '../pool/event-stream.js';
import type { RpcEngine } from '../rpc/engine.js';
import type { ActiveAlert } from '../schemas/alerts.js';
import { eventsSubscribe, eventsUnsubscribe } from '../schemas/events.js';
import type { Operator } from '../wiring/operator.js';
import type { PoolStatus } from '../wiring/pool-status.js';

export interface EventsApiDeps {
  operator: Operator;
  /** pool.status's result; the latency part is read asynchronously, the rest is refreshed at subscribe time. */
  poolStatus: () => Promise<PoolStatus>;
  poolSnapshot: () => Omit<PoolStatus, 'latency'>;
  alerts: () => ActiveAlert[];
}

/** events.subscribe and events.unsubscribe: one stream of pool events per subscription, with a snapshot to start from. */
export function registerEventsApi(engine: RpcEngine, deps: EventsApiDeps): void {
  const { operator } = deps;
  const stream = operator.events;
  const full = (owner: string): void => {
    if (stream.countOf(owner) >= stream.maxPerOwner) throw new AppError('TOO_MANY_SUBSCRIPTIONS', `at most ${stream.maxPerOwner} per connection`, { max: stream.maxPerOwner });
  };

  engine.register(eventsSubscribe, async (params, ctx) => {
    const owner = ctx.session.id;
    full(owner);
    const { latency } = await deps.poolStatus();
    // From here on synchronous: the snapshot and the subscription are taken in one turn, so no
    // event falls between them.
    full(owner);
    const filter = params ?? {};
    const agents = operator.views.all().filter((a) => filter.agentId === undefined || a.agentId === filter.agentId);
    const snapshot = { agents, pool: { ...deps.poolSnapshot(), latency }, alerts: deps.alerts() };
    // Events held until the reply has gone out (the reply leaves in this turn's microtasks), so a
    // client always reads the snapshot before event seq + 1.
    let held: DeliveredEvent[] | undefined = [];
    const peer = ctx.session.peer;
    const { subscriptionId, seq } = stream.subscribe(owner, filter, (event) => (held ? held.push(event) : peer.notify('events.event', event)));
    setImmediate(() => {
      const early = held ?? [];
      held = undefined;
      for (const event of early) peer.notify('events.event', event);
    });
    return { subscriptionId, seq, snapshot };
  });

  engine.register(eventsUnsubscribe, (params, ctx) => {
    if (!stream.unsubscribe(ctx.session.id, params.subscriptionId)) {
      throw new AppError('SUBSCRIPTION_NOT_FOUND', `no subscription ${params.subscriptionId} on this connection`, { subscriptionId: params.subscriptionId });
    }
    return { ok: true as const };
  });
}
