import type { Log } from '../log.js';
import type { Session } from './session.js';

/** What a handler gets besides its params: who is calling, the trace id, and a bound logger. */
export class RequestContext {
  private childLog: Log | undefined;

  constructor(
    readonly session: Session,
    readonly method: string,
    readonly traceId: string,
  ) {}

  /** The session's logger bound to method and traceId (made on first use: most calls never log). */
  get log(): Log {
    this.childLog ??= this.session.log.child?.({ method: this.method, traceId: this.traceId }) ?? this.session.log;
    return this.childLog;
  }
}
