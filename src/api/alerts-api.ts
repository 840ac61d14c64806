import type { AlertEvaluator } from '../alerts/alert-evaluator.js';
import type { RpcEngine } from '../rpc/engine.js';
import type { Session } from '../rpc/session.js';
import { coordinationAlerts, type ActiveAlert, type AlertClearedNotification } from '../schemas/alerts.js';
import type { FileConfig } from '../config-file.js';

/** Connections that asked for alert notifications; the daemon removes one when it closes. */
export class AlertSubscribers {
  private readonly sessions = new Map<string, Session>();

  add(session: Session): void {
    this.sessions.set(session.id, session);
  }

  /** Forget a connection (unsubscribe, or it closed). */
  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Send `alert.raised` to every subscriber. */
  raised(alert: ActiveAlert): void {
    this.broadcast('alert.raised', alert);
  }

  /** Send `alert.cleared` to every subscriber. */
  cleared(alert: AlertClearedNotification): void {
    this.broadcast('alert.cleared', alert);
  }

  private broadcast(method: string, params: object): void {
    for (const s of this.sessions.values()) s.peer.notify(method, params);
  }
}

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
