/** Where a CoordClient is in its life: `reconnecting` after a drop, `closed` for good. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Events of {@link CoordClient}. */
export interface CoordClientEvents {
  /** Connected and handshake done. */
  open: [info: { reconnected: boolean }];
  /** An open connection closed; `willReconnect` tells whether a reconnect is scheduled. */
  close: [info: { code: number; reason: string; willReconnect: boolean }];
  /** A reconnect attempt to `url` is scheduled in `delayMs` (after `error`, when the previous attempt failed). */
  reconnecting: [info: { attempt: number; delayMs: number; url: string; error?: Error }];
  /** Reconnected (after `open`), after `attempts` tries. */
  reconnect: [info: { attempts: number }];
  /** The client is done for good: `close()` was called, reconnection is off, or the token was refused. */
  end: [info: { error?: Error }];
}
