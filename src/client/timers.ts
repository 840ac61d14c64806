/** A timer handle; opaque to callers. */
export interface TimerHandle {
  readonly id: unknown;
}

/**
 * The timers the client library schedules on (request timeouts, reconnect delays, heartbeats).
 * Structurally the timer half of the daemon's Clock, so tests can pass a virtual clock instead
 * of sleeping; the client stays free of daemon code.
 */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/**
 * Node's timers. Timeouts keep the process alive (an agent waiting to reconnect must not exit);
 * intervals are unref'd, so heartbeats alone never do.
 */
export const systemTimers: ClientTimers = {
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms).unref() }),
  clearInterval: (handle) => clearInterval(handle.id as NodeJS.Timeout),
};

/** Resolves after `ms` on `timers`. */
export function sleep(timers: ClientTimers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
