import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/stat counts in these ticks. */
const TICKS_PER_SEC = 100;

/** CPU time the hypervisor took from this VM's vCPUs (all of them), in seconds; undefined off Linux. */
export function stealSeconds(): number | undefined {
  try {
    const steal = Number(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/)[8]);
    return Number.isFinite(steal) ? steal / TICKS_PER_SEC : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Steal time over a window, sampled every `intervalMs`: on a shared VM the hypervisor can stop a
 * vCPU for tens of milliseconds, which every request in flight then waits out, and a 10-second
 * window's p99 is set by a handful of such stalls. Averages hide them; the worst interval shows them.
 */
export class StealWatch {
  private timer: NodeJS.Timeout | undefined;
  private first: number | undefined;
  private last: number | undefined;
  private lastAt = 0;
  private startedAt = 0;
  private worst = 0;

  constructor(private readonly intervalMs = 100) {}

  start(): void {
    this.first = this.last = stealSeconds();
    this.startedAt = this.lastAt = performance.now();
    this.worst = 0;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Steal over the window as percent of one core, and in its worst interval; undefined off Linux. */
  stop(): { percent: number; worstIntervalPercent: number } | undefined {
    clearInterval(this.timer);
    this.sample();
    if (this.first === undefined || this.last === undefined) return undefined;
    return { percent: ((this.last - this.first) / ((this.lastAt - this.startedAt) / 1000)) * 100, worstIntervalPercent: this.worst };
  }

  private sample(): void {
    const now = performance.now();
    const steal = stealSeconds();
    if (steal !== undefined && this.last !== undefined && now > this.lastAt) {
      this.worst = Math.max(this.worst, ((steal - this.last) / ((now - this.lastAt) / 1000)) * 100);
    }
    this.last = steal;
    this.lastAt = now;
  }
}
