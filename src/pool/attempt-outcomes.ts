import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import type { Random } from '../random.js';
import type { ObservedOutcome } from '../routing/strategy.js';
import type { TaskState } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import { AgentCallError } from '../agent-call-error.js';
import type { PendingTasks } from './pending-tasks.js';
import type { PoolObserver, RequeueReason } from './pool-observer.js';
import type { PoolOptions } from './pool-options.js';
import { retryDelayMs } from './retry-backoff.js';
import type { TaskEvents } from './task-events.js';
import { failuresOf, requeuesOf, withAttemptFinished, type TaskError } from './task-records.js';
import type { TaskRecord, TaskStore } from './task-store.js';

/** What AttemptOutcomes needs from the pool around it. */
export interface AttemptOutcomesDeps {
  clock: Clock;
  /** Jitter of the retry backoff. */
  random: Random;
  store: Pick<TaskStore, 'get' | 'update'>;
  events: Pick<TaskEvents, 'changed' | 'finished'>;
  log: Log;
  observer: Pick<PoolObserver, 'requeued'>;
  /** Where a task sleeps out its retry backoff. */
  pending: Pick<PendingTasks, 'retryLater'>;
  /** Put a PENDING task back in the queue and try dispatching it. */
  enqueue: (task: TaskRecord) => void;
}

/** The retry and requeue limits applied (documented, with defaults, in pool-options.ts). */
export type AttemptOutcomesOptions = Pick<PoolOptions, 'maxRequeues' | 'retryBaseDelayMs' | 'retryMaxDelayMs'>;

/**
 * What becomes of a task when its attempt ends: COMPLETED, CANCELLED, a retry after a backoff
 * while attempts remain, FAILED, or back to the queue when the agent was lost (within the
 * requeue limit). Also moves a task that never ran to its terminal state. The attempt's own
 * bookkeeping is closed before any of this (see running-attempts.ts).
 */
export class AttemptOutcomes {
  constructor(
    private readonly deps: AttemptOutcomesDeps,
    private readonly options: Readonly<AttemptOutcomesOptions>,
  ) {}

  /** The agent answered the current attempt, with a result or an error. */
  answered(task: TaskRecord, answer: { result?: unknown; error?: unknown }): void {
    const err = answer.error;
    if (task.cancelRequested) {
      this.finishAttempt(task, err === undefined ? 'completed' : 'cancelled', 'CANCELLED');
    } else if (err === undefined) {
      this.finishAttempt(task, 'completed', 'COMPLETED', { result: answer.result ?? null });
    } else if (err instanceof AgentCallError && err.kind === 'disconnected') {
      this.lost(task, 'disconnect');
    } else if (err instanceof AgentCallError && err.kind === 'timeout') {
      this.failed(task, 'timeout', appError('TASK_TIMEOUT', `no answer within ${task.timeoutMs} ms`), true);
    } else {
      const remote = err instanceof AgentCallError ? err.remote : undefined;
      const error: TaskError = remote ?? { code: -32603, message: 'agent call failed' };
      const retryable = (remote?.data as { retryable?: unknown } | undefined)?.retryable !== false;
      this.failed(task, 'failed', error, retryable);
    }
  }

  /** The current attempt ran past the task's timeout without an answer. */
  timedOut(task: TaskRecord): void {
    if (task.cancelRequested) this.finishAttempt(task, 'cancelled', 'CANCELLED');
    else this.failed(task, 'timeout', appError('TASK_TIMEOUT', `attempt ${task.attempts.length} exceeded ${task.timeoutMs} ms`), true);
  }

  /** The agent went away mid-task: back to the queue at once (at-least-once), within the requeue limit. */
  lost(task: TaskRecord, reason: RequeueReason): void {
    if (task.cancelRequested) {
      this.finishAttempt(task, 'disconnected', 'CANCELLED');
    } else if (requeuesOf(task) + 1 > this.options.maxRequeues) {
      this.finishAttempt(task, 'disconnected', 'FAILED', { error: appError('AGENT_LOST', `agents were lost ${requeuesOf(task) + 1} times`) });
    } else {
      this.requeue(task, 'disconnected', reason);
    }
  }

  /** End the current attempt and put the task back in the queue at once. */
  requeue(task: TaskRecord, outcome: 'disconnected' | 'cancelled', reason: RequeueReason): void {
    const next = withAttemptFinished(task, this.deps.clock.now(), outcome, 'PENDING');
    this.deps.store.update(next);
    this.deps.events.changed(next, task.state);
    this.deps.observer.requeued?.(next, reason);
    this.deps.log.info({ taskId: task.taskId, agentId: task.agentId, traceId: task.traceId, reason }, 'task requeued');
    this.deps.enqueue(next);
  }

  /** Move a task to a terminal state, once. */
  finish(task: TaskRecord, state: TaskState, previous: TaskState = task.state): TaskRecord {
    const next: TaskRecord = { ...task, state, finishedAt: task.finishedAt ?? this.deps.clock.now() };
    this.deps.store.update(next);
    this.deps.events.changed(next, previous);
    this.deps.events.finished(next);
    return next;
  }

  /** A failed or timed-out attempt: retry after a backoff if attempts remain, else FAILED. */
  private failed(task: TaskRecord, outcome: 'failed' | 'timeout', error: TaskError, retryable: boolean): void {
    const failures = failuresOf(task) + 1;
    if (!retryable || failures >= task.maxAttempts) {
      this.finishAttempt(task, outcome, 'FAILED', { error });
      return;
    }
    const next = withAttemptFinished(task, this.deps.clock.now(), outcome, 'PENDING', { error });
    this.deps.store.update(next);
    this.deps.events.changed(next, task.state);
    this.deps.observer.requeued?.(next, outcome === 'timeout' ? 'timeout' : 'retry');
    const delay = retryDelayMs(failures, this.options.retryBaseDelayMs, this.options.retryMaxDelayMs, this.deps.random);
    this.deps.log.info({ taskId: task.taskId, traceId: task.traceId, attempt: task.attempts.length, delayMs: delay, outcome }, 'task attempt failed; retrying');
    this.deps.pending.retryLater(task.taskId, delay, () => {
      const current = this.deps.store.get(task.taskId);
      if (current?.state === 'PENDING') this.deps.enqueue(current);
    });
  }

  private finishAttempt(
    task: TaskRecord,
    outcome: Parameters<typeof withAttemptFinished>[2],
    state: TaskState,
    extra?: { result?: unknown; error?: TaskError },
  ): void {
    this.finish(withAttemptFinished(task, this.deps.clock.now(), outcome, state, extra), state, task.state);
  }
}

/** The router's view of an attempt's outcome. */
export function observedOutcome(err: unknown): ObservedOutcome {
  if (err === undefined) return 'completed';
  if (err instanceof AgentCallError) return err.kind === 'disconnected' ? 'lost' : err.kind === 'timeout' ? 'timeout' : 'failed';
  return 'failed';
}

function appError(name: 'TASK_TIMEOUT' | 'AGENT_LOST', message: string): TaskError {
  return { code: new AppError(name).code, message };
}
