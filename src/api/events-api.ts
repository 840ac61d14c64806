import type { RpcEngine } from '../rpc/engine.js';
import { eventsSubscribe, eventsUnsubscribe } from '../schemas/events.js';
import type { Operator } from '../wiring/operator.js';

/** events.subscribe and events.unsubscribe: one stream of pool events per subscription, with a snapshot to start from. */
export function registerEventsApi(engine: RpcEngine, deps: { operator: Pick<Operator, 'subscribe' | 'unsubscribe'> }): void {
  const { operator } = deps;
  engine.register(eventsSubscribe, (params, ctx) => {
    const peer = ctx.session.peer;
    return operator.subscribe(ctx.session.id, params ?? {}, (event) => peer.notify('events.event', event));
  });
  engine.register(eventsUnsubscribe, (params, ctx) => operator.unsubscribe(ctx.session.id, params.subscriptionId));
}
