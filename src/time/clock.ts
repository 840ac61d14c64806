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

/** The real clock. Timers are unref'd so they never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { id: t };
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return { id: t };
  },
  clearInterval(handle) {
    clearInterval(handle.id as NodeJS.Timeout);
  },
};
