import { randomUUID } from 'node:crypto';
import type { Log } from '../log.js';
import type { FrameTiming } from './frame-timing.js';
import type { Session } from './session.js';

/** What a handler gets besides its params: who is calling, the trace id, and a bound logger. */
export class RequestContext {
  private childLog: Log | undefined;
  private trace: string | undefined;

  constructor(
    readonly session: Session,
    readonly method: string,
    /** The caller's trace id, if it sent one. */
    traceHint: string | undefined,
    /** The timing of the frame this call came in, when the transport measures it. */
    readonly frame?: FrameTiming,
  ) {
    this.trace = traceHint;
  }

  /** The caller's trace id, or one made on first use (most calls never need one). */
  get traceId(): string {
    this.trace ??= randomUUID().replaceAll('-', '');
    return this.trace;
  }

  /** The session's logger bound to method and traceId (made on first use: most calls never log). */
  get log(): Log {
    this.childLog ??= this.session.log.child?.({ method: this.method, traceId: this.traceId }) ?? this.session.log;
    return this.childLog;
  }
}
