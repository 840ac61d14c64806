import type { Clock } from '../time/clock.js';

/** Promises that resolve when a condition about the pool holds, re-checked when told something changed. */
export class Conditions {
  private readonly checks = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolve true once `done()` holds (checked now and on every changed()), or with done() after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.checks.delete(check);
        this.clock.clearTimeout(deadline);
        resolve(true);
      };
      const deadline = this.clock.setTimeout(() => {
        this.checks.delete(check);
        resolve(done());
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  /** Something changed: re-check every pending condition. */
  changed(): void {
    for (const check of [...this.checks]) check();
  }
}
