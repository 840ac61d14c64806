import type { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { RpcEngine } from '../rpc/engine.js';
import { coordinationAlerts } from '../schemas/alerts.js';
import type { AlertSubscribers } from '../wiring/alert-subscribers.js';
import type { FileConfig } from '../config-file.js';

export interface AlertsApiDeps {
  alerts: Pick<AlertEvaluator, 'list'>;
  subscribers: AlertSubscribers;
  thresholds: FileConfig['alerts'];
}

/** coordination.alerts: the active alerts and thresholds, and (un)subscribing to their notifications. */
export function registerAlertsApi(engine: RpcEngine, deps: AlertsApiDeps): void {
  engine.register(coordinationAlerts, (params, ctx) => {
    if (params?.subscribe === true) deps.subscribers.add(ctx.session);
    else if (params?.subscribe === false) deps.subscribers.remove(ctx.session.id);
    return { active: deps.alerts.list(), thresholds: { ...deps.thresholds }, subscribed: deps.subscribers.has(ctx.session.id) };
  });
}
