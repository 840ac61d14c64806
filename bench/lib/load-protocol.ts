import type { LatencySummary } from './stats.js';

/**
 * Closed loop: every connection keeps `window` requests in flight (a reply frees a slot) for
 * `warmupMs + durationMs`; only replies that arrive after the warm-up are counted.
 */
export interface ClosedLoopJob {
  mode: 'closed';
  label: string;
  url: string;
  kind: 'single' | 'batch';
  connections: number;
  window: number;
  /** Signals per request when kind is 'batch'. */
  batchSize: number;
  agents: number;
  warmupMs: number;
  durationMs: number;
}

/**
 * Open loop: request i is due at start + i / rate, whatever happened to the earlier ones, and its
 * latency runs from that due time (not from when it was actually sent) to its reply, so a stall
 * on either side shows up in the numbers instead of silently lowering the offered rate.
 */
export interface OpenLoopJob {
  mode: 'open';
  label: string;
  url: string;
  connections: number;
  /** Requests per second, spread round-robin over the connections. */
  rate: number;
  agents: number;
  warmupMs: number;
  durationMs: number;
  /** How long to wait for stragglers after the last send before counting them lost. */
  drainMs: number;
  /**
   * 'spin': check the schedule on every event-loop turn (setImmediate), so each request leaves
   * within µs of its due time, at the price of one busy core. 'timer': check it every ms
   * (setTimeout), sending what is due in small bursts; the client's own lateness then counts in
   * the latency (which runs from the due time either way).
   */
  pacing: 'spin' | 'timer';
}

/**
 * Send `signals` signals in batches as fast as the server takes them, and wait for every reply:
 * brings a fresh daemon to the live set a steady rate would hold (rate × TTL) before measuring.
 */
export interface PrefillJob {
  mode: 'prefill';
  label: string;
  url: string;
  signals: number;
  batchSize: number;
  connections: number;
  window: number;
  agents: number;
}

export type LoadJob = ClosedLoopJob | OpenLoopJob | PrefillJob;

export interface ErrorTally {
  /** Error replies, rejected batch entries, unparseable or unexpected frames. */
  count: number;
  samples: string[];
}

/** The load generator's own GC pauses in the measured window: they delay its reply timestamps. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface ClosedLoopResult {
  mode: 'closed';
  label: string;
  measuredMs: number;
  /** Replies received in the measured window. */
  replies: number;
  repliesPerSec: number;
  /** Signals accepted (from the replies) in the measured window; equals replies for single. */
  signals: number;
  signalsPerSec: number;
  /** Mean time in flight by Little's law (connections × window / reply rate), ms. */
  meanLatencyMs: number;
  errors: ErrorTally;
  clientCpuPercent: number;
  clientGc: GcPauses;
}

export interface OpenLoopResult {
  mode: 'open';
  label: string;
  measuredMs: number;
  offeredRate: number;
  /** Replies to measured (post-warm-up) requests per second of the measured window. */
  achievedRate: number;
  sent: number;
  received: number;
  lost: number;
  /** From each request's due time to its reply: the figure the target is judged on. */
  latencyMs: LatencySummary;
  /** From when each request actually left the client to its reply (client lateness excluded). */
  latencyFromSendMs: LatencySummary;
  /** How late the client itself sent, relative to the schedule (ms): its own share of the latency. */
  sendLagMs: LatencySummary;
  errors: ErrorTally;
  clientCpuPercent: number;
  clientGc: GcPauses;
}

export interface PrefillResult {
  mode: 'prefill';
  label: string;
  accepted: number;
  elapsedMs: number;
  errors: ErrorTally;
}

export type LoadResult = ClosedLoopResult | OpenLoopResult | PrefillResult;

/** Parent → load generator. */
export type ToGenerator = { type: 'run'; job: LoadJob } | { type: 'exit' };

/** Load generator → parent. `measuring` marks the measured window so the parent can sample the server's CPU. */
export type FromGenerator =
  { type: 'ready' } | { type: 'measuring'; phase: 'start' | 'end' } | { type: 'result'; result: LoadResult } | { type: 'failed'; message: string };
