import type { z } from 'zod';
import type { Attempt as AttemptSchema, TaskError as TaskErrorSchema, TaskState } from '../schemas/task.js';
import type { TaskRecord } from './task-store.js';
import type { PoolOptions } from './pool-options.js';

export type Attempt = z.infer<typeof AttemptSchema>;
export type TaskError = z.infer<typeof TaskErrorSchema>;
export type AttemptOutcome = Attempt['outcome'];

/** Outcomes that count against maxAttempts (the task's own fault, as far as the daemon can tell). */
const COUNTED: ReadonlySet<AttemptOutcome> = new Set(['failed', 'timeout']);
/** Outcomes where the agent, not the task, went away. */
const LOST: ReadonlySet<AttemptOutcome> = new Set(['disconnected']);

/** Attempts since the latest task.retry (all of them when never retried): only these count against the limits. */
const sinceRetry = (t: TaskRecord): Attempt[] => (t.retry ? t.attempts.filter((a) => a.attempt > t.retry!.afterAttempt) : t.attempts);

/** Attempts that count against maxAttempts. */
export const failuresOf = (t: TaskRecord): number => sinceRetry(t).filter((a) => COUNTED.has(a.outcome)).length;

/** Times the task was requeued because its agent was lost. */
export const requeuesOf = (t: TaskRecord): number => sinceRetry(t).filter((a) => LOST.has(a.outcome)).length;

/**
 * A FAILED or CANCELLED task made PENDING again for task.retry: same id, epoch and attempts
 * (history kept), a fresh budget of maxAttempts from here, and no result, error or finish time.
 */
export function withRetry(t: TaskRecord, now: number): TaskRecord {
  const { result: _result, error: _error, finishedAt: _finishedAt, progress: _progress, progressMessage: _message, ...rest } = t;
  return { ...rest, state: 'PENDING', cancelRequested: false, retry: { count: (t.retry?.count ?? 0) + 1, at: now, afterAttempt: t.attempts.length } };
}

/** A copy of the task with one more running attempt on `agentId`. */
export function withAttemptStarted(t: TaskRecord, agentId: string, now: number): TaskRecord {
  const epoch = t.epoch + 1;
  const attempt: Attempt = { attempt: t.attempts.length + 1, agentId, epoch, startedAt: now, outcome: 'running' };
  return { ...t, state: 'IN_PROGRESS', agentId, epoch, startedAt: t.startedAt ?? now, attempts: [...t.attempts, attempt] };
}

/** A copy of the task with its running attempt closed and the task moved to `state`. */
export function withAttemptFinished(
  t: TaskRecord,
  now: number,
  outcome: AttemptOutcome,
  state: TaskState,
  extra: { result?: unknown; error?: TaskError } = {},
): TaskRecord {
  const attempts = t.attempts.map((a) =>
    a.epoch === t.epoch && a.outcome === 'running' ? { ...a, outcome, finishedAt: now, ...(extra.error ? { error: extra.error } : {}) } : a,
  );
  const terminal = state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED';
  const next: TaskRecord = { ...t, state, attempts, progress: terminal ? t.progress : undefined, progressMessage: terminal ? t.progressMessage : undefined };
  if (terminal) next.finishedAt = now;
  if ('result' in extra) next.result = extra.result;
  if (extra.error) next.error = extra.error;
  return next;
}

/** What pool.assign takes, already validated at the edge. */
export interface AssignInput {
  type: string;
  payload?: unknown;
  requiredCapabilities?: string[];
  preferredAgentId?: string;
  affinityKey?: string;
  priority?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  idempotencyKey?: string;
  strategy?: TaskRecord['strategy'];
  traceId?: string;
}

/** A new PENDING task from what pool.assign took, with the pool's defaults filled in. */
export function newTask(
  input: AssignInput,
  at: { taskId: string; traceId: string; now: number; defaults: Pick<PoolOptions, 'defaultMaxAttempts' | 'defaultTaskTimeoutMs'> },
): TaskRecord {
  return {
    taskId: at.taskId,
    type: input.type,
    payload: input.payload ?? null,
    state: 'PENDING',
    priority: input.priority ?? 0,
    epoch: 0,
    attempts: [],
    maxAttempts: input.maxAttempts ?? at.defaults.defaultMaxAttempts,
    timeoutMs: input.timeoutMs ?? at.defaults.defaultTaskTimeoutMs,
    requiredCapabilities: [...new Set(input.requiredCapabilities ?? [])],
    preferredAgentId: input.preferredAgentId,
    affinityKey: input.affinityKey,
    idempotencyKey: input.idempotencyKey,
    strategy: input.strategy,
    cancelRequested: false,
    createdAt: at.now,
    traceId: at.traceId,
  };
}
