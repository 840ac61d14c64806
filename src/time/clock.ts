/** A cancellable timer handle; opaque to callers. */
export interface TimerHandle {
  readonly id: unknown;
}

/**
 * Where domain code gets time from. Tests and the simulation pass a VirtualClock,
 * the daemon passes systemClock, so TTLs, decay and sweeps are testable without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch (wall time, for timestamps and ages). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin, for measuring durations (never goes back when wall time is set). */
  elapsed(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** A Node timer as a TimerHandle that does not keep the process alive on its own. */
const unrefed = (t: NodeJS.Timeout): TimerHandle => ({ id: t.unref() });

/** The real clock. Timers are unref'd so they never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  setTimeout: (fn, ms) => unrefed(setTimeout(fn, ms)),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
  setInterval: (fn, ms) => unrefed(setInterval(fn, ms)),
  clearInterval: (handle) => clearInterval(handle.id as NodeJS.Timeout),
};
