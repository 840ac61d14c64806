import type { ScalingSnapshot, ScalingTarget } from '../../../../src/pool/scaling/scaling-target.js';

/**
 * A pool of one-slot agents whose utilization the test sets. Scale calls are recorded and, by
 * default, do all that was asked; `hold()` makes the next one wait until released.
 */
export class FakePool implements ScalingTarget {
  utilization = 0;
  queueDepth = 0;
  readonly calls: string[] = [];
  /** Caps how many agents one scaleUp starts. */
  startLimit = Infinity;
  failNext: Error | undefined;
  /** The templates scaleUp can start from; undefined: any. */
  templates: string[] | undefined;
  private gate: Promise<void> | undefined;

  constructor(public agents: number) {}

  snapshot(): ScalingSnapshot {
    return { current: this.agents, usedCapacity: this.agents * this.utilization, totalCapacity: this.agents, queueDepth: this.queueDepth };
  }

  async scaleUp(count: number, template: string): Promise<number> {
    this.calls.push(`up ${count} ${template}`);
    await this.gate;
    this.throwIfFailing();
    const started = Math.min(count, this.startLimit);
    this.agents += started;
    return started;
  }

  hasTemplate(template: string): boolean {
    return this.templates?.includes(template) ?? true;
  }

  async scaleDown(count: number): Promise<number> {
    this.calls.push(`down ${count}`);
    await this.gate;
    this.throwIfFailing();
    this.agents -= count;
    return count;
  }

  /** Make scale calls wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  private throwIfFailing(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}
