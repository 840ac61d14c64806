import type { Session } from '../rpc/session.js';
import type { ActiveAlert, AlertClearedNotification } from '../schemas/alerts.js';

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
