import type { ConflictEvent, ConflictResolution } from './types.js';

/** Wait-time percentiles in milliseconds (0 when there is no sample). */
export interface WaitPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Conflict counts since the daemon started, plus percentiles over the recent history. */
export interface ConflictTotals {
  total: number;
  resolved: number;
  escalated: number;
  abandoned: number;
  pending: number;
  /** resolved / (resolved + escalated); 1 when neither happened. Abandoned waits do not count. */
  resolutionRate: number;
  /** Waits of resolved conflicts still in the history. */
  waitMs: WaitPercentiles;
}

/** Conflicts that ended in a time window (what the alerts read). */
export interface ConflictWindow {
  resolved: number;
  escalated: number;
  abandoned: number;
  resolutionRate: number;
  waitMs: WaitPercentiles;
}

/**
 * The recent conflict events (a ring of `capacity`, oldest dropped first) and lifetime counters.
 * Events are kept by reference, so a pending one is updated in place when it ends.
 */
export class ConflictLog {
  private readonly ring: ConflictEvent[] = [];
  /** Where the next event goes once the ring is full. */
  private next = 0;
  private readonly counts: Record<Exclude<ConflictResolution, 'pending'>, number> = { resolved: 0, escalated: 0, abandoned: 0 };
  private total = 0;

  constructor(private readonly capacity: number) {}

  /** Record a new pending conflict. */
  open(event: ConflictEvent): ConflictEvent {
    this.total++;
    if (this.ring.length < this.capacity) this.ring.push(event);
    else {
      this.ring[this.next] = event;
      this.next = (this.next + 1) % this.capacity;
    }
    return event;
  }

  /** End a pending conflict; a second call is ignored. */
  end(event: ConflictEvent, resolution: Exclude<ConflictResolution, 'pending'>, at: number, leaseId?: string): boolean {
    if (event.resolution !== 'pending') return false;
    event.resolution = resolution;
    event.endedAt = at;
    event.waitedMs = Math.max(0, at - event.at);
    if (leaseId !== undefined) event.leaseId = leaseId;
    this.counts[resolution]++;
    return true;
  }

  /** Recent events, newest first, optionally of one resource. */
  recent(limit: number, resource?: string): ConflictEvent[] {
    const out: ConflictEvent[] = [];
    const n = this.ring.length;
    for (let i = 1; i <= n && out.length < limit; i++) {
      const e = this.ring[(this.next - i + n) % n]!;
      if (resource === undefined || e.resource === resource) out.push(e);
    }
    return out;
  }

  /** Lifetime counters and the wait percentiles of recent resolved conflicts. */
  totals(): ConflictTotals {
    const { resolved, escalated, abandoned } = this.counts;
    const waits = this.ring.filter((e) => e.resolution === 'resolved').map((e) => e.waitedMs!);
    return {
      total: this.total,
      resolved,
      escalated,
      abandoned,
      pending: this.total - resolved - escalated - abandoned,
      resolutionRate: rate(resolved, escalated),
      waitMs: percentiles(waits),
    };
  }

  /**
   * Conflicts that ended at or after `sinceMs`, among those still in the history (so a window
   * holding more than `capacity` conflicts is undercounted). Wait percentiles are over resolved ones.
   */
  window(sinceMs: number): ConflictWindow {
    let resolved = 0;
    let escalated = 0;
    let abandoned = 0;
    const waits: number[] = [];
    for (const e of this.ring) {
      if (e.endedAt === undefined || e.endedAt < sinceMs) continue;
      if (e.resolution === 'resolved') {
        resolved++;
        waits.push(e.waitedMs!);
      } else if (e.resolution === 'escalated') escalated++;
      else abandoned++;
    }
    return { resolved, escalated, abandoned, resolutionRate: rate(resolved, escalated), waitMs: percentiles(waits) };
  }
}

function rate(resolved: number, escalated: number): number {
  return resolved + escalated === 0 ? 1 : resolved / (resolved + escalated);
}

/** Nearest-rank percentiles of a sample. */
export function percentiles(sample: number[]): WaitPercentiles {
  if (sample.length === 0) return { p50: 0, p95: 0, p99: 0 };
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
