import type { LatencySummary } from './stats.js';

/**
 * IPC between bench/pool.ts and its load generator (bench/lib/pool-load-generator.ts).
 * The generator keeps one fleet (agents + operator connections) across jobs, so every phase
 * runs against the same registered pool.
 */

/** Connect `agents` agent sockets (each registers with `capacity`) and `operators` operator sockets. */
export interface SetupJob {
  kind: 'setup';
  label: string;
  url: string;
  agents: number;
  capacity: number;
  operators: number;
  /** Task type submitted and capability every agent declares. */
  taskType: string;
}

/**
 * Closed loop, end to end: each operator connection keeps `window` tasks submitted but not yet
 * completed; the agent answering a task frees its operator's slot, which submits the next one.
 * Runs `warmupMs + durationMs`; only what happens after the warm-up is measured.
 */
export interface ClosedJob {
  kind: 'closed';
  label: string;
  window: number;
  warmupMs: number;
  durationMs: number;
  /** How long to wait, after the last submission, for every task to be answered. */
  drainMs: number;
}

/**
 * Open loop: task i is submitted at start + i / rate, round-robin over the operators, whatever
 * happened to the earlier ones.
 */
export interface OpenJob {
  kind: 'open';
  label: string;
  rate: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  /** 'timer': send what is due every ms (frees the client's core); 'spin': check on every loop turn. */
  pacing: 'timer' | 'spin';
}

export interface TeardownJob {
  kind: 'teardown';
  label: string;
}

export type PoolJob = SetupJob | ClosedJob | OpenJob | TeardownJob;

export interface ErrorTally {
  count: number;
  samples: string[];
}

export interface SetupResult {
  kind: 'setup';
  label: string;
  agentsRegistered: number;
  operators: number;
  heartbeatIntervalMs: number;
  leaseTtlMs: number;
  elapsedMs: number;
  errors: ErrorTally;
}

/** What one load phase measured (window = the measured part, after the warm-up). */
export interface PhaseResult {
  kind: 'closed' | 'open';
  label: string;
  measuredMs: number;
  /** When the measured window opened, ms since the epoch (to line events in other processes up with it). */
  windowStartEpochMs: number;
  /** Tasks submitted in the whole phase (warm-up included), and their assign replies. */
  submitted: number;
  assignReplies: number;
  /** Tasks the agents answered in the whole phase (warm-up and drain included). */
  answered: number;
  /** Tasks submitted in the phase that no agent had answered when the drain ended. */
  unanswered: number;
  /** Agents' answers inside the measured window, and per second. */
  completedInWindow: number;
  completedPerSec: number;
  /** pool.assign replies inside the measured window, per second. */
  assignRepliesPerSec: number;
  /** For open loop: the offered rate. */
  offeredRate?: number;
  /**
   * Client-observed dispatch latency, ms: from sending pool.assign to the agent receiving the
   * matching task.run (same process, same clock). Samples: tasks whose task.run arrived in the window
   * (closed) / tasks scheduled in the window (open).
   */
  dispatchMs: LatencySummary;
  /**
   * The slowest dispatch samples: when they arrived (ms since the window opened), and whether the
   * generator itself was in a GC pause while the task was in flight (then part of it is the client's).
   */
  slowestDispatches: { atMs: number; ms: number; duringClientGc: boolean }[];
  /** Open loop: the same, from each task's scheduled send time (client lateness included). */
  dispatchFromScheduleMs?: LatencySummary;
  /** Open loop: how late the client sent, relative to the schedule. */
  sendLagMs?: LatencySummary;
  /** From sending pool.assign to the agent having sent its answer (the daemon completes it on receipt). */
  endToEndMs: LatencySummary;
  /** From sending pool.assign to its reply. */
  assignReplyMs: LatencySummary;
  /** Tasks in flight (submitted, not answered) at the end of the window, for closed loop: the window total. */
  inFlightTarget?: number;
  errors: ErrorTally;
  clientCpuPercent: number;
  /** The generator's own GC pauses inside the measured window. */
  clientGc: { count: number; totalMs: number; maxMs: number };
}

export interface TeardownResult {
  kind: 'teardown';
  label: string;
  /** Every task answered by the agents over the generator's life, and assigns accepted. */
  totalAnswered: number;
  totalAccepted: number;
  unexpectedMessages: number;
  errors: ErrorTally;
}

export type PoolJobResult = SetupResult | PhaseResult | TeardownResult;

/** Parent → generator. */
export type ToPoolGenerator = { type: 'run'; job: PoolJob } | { type: 'exit' };

/**
 * Where a phase is, for the parent to sample the daemon: `prepare` comes PREPARE_LEAD_MS before the
 * measured window opens (scrape /metrics then: a scrape costs the daemon milliseconds, which must
 * not land inside the window), `start` and `end` bound the window.
 */
export type WindowEdge = 'prepare' | 'start' | 'end';

/** How long before the measured window `prepare` is sent (capped at half the warm-up). */
export const PREPARE_LEAD_MS = 300;

/** Generator → parent. */
export type FromPoolGenerator =
  { type: 'ready' } | { type: 'measuring'; phase: WindowEdge } | { type: 'result'; result: PoolJobResult } | { type: 'failed'; message: string };
