import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import { TERMINAL_STATES } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import type { AgentRegistry } from './agent-registry.js';
import type { AgentSelector } from './agent-selector.js';
import type { AttemptDispatcher } from './attempt-dispatcher.js';
import type { LoadForecaster } from './load-forecaster.js';
import type { PendingTasks } from './pending-tasks.js';
import type { PoolObserver } from './pool-observer.js';
import type { PoolOptions } from './pool-options.js';
import { payloadBytesOf, type TaskEvents } from './task-events.js';
import { newTask, withRetry, type AssignInput } from './task-records.js';
import type { TaskRecord, TaskStore } from './task-store.js';

/** Who submitted a task and, if they asked, how to tell them about every state change. */
export interface Submitter {
  notify?: (method: string, params: object) => void;
}

/** What TaskActions needs from the pool around it. */
export interface TaskActionsDeps {
  clock: Clock;
  ids: IdGenerator;
  store: Pick<TaskStore, 'get' | 'findByIdempotencyKey' | 'insert' | 'update' | 'reopen'>;
  log: Log;
  observer: PoolObserver;
  agents: Pick<AgentRegistry, 'get'>;
  pending: Pick<PendingTasks, 'size' | 'aheadOf' | 'enqueue' | 'waitUntil' | 'remove'>;
  events: Pick<TaskEvents, 'heldBytes' | 'subscribe'>;
  selector: Pick<AgentSelector, 'choose'>;
  forecaster: Pick<LoadForecaster, 'arrived'>;
  dispatcher: Pick<AttemptDispatcher, 'changed' | 'dispatch' | 'enqueue' | 'schedulePump' | 'outcomes'>;
}

/**
 * What callers do to tasks: submit one (pool.assign), cancel one (task.cancel), run a FAILED or
 * CANCELLED one again (task.retry). Submitting and retrying stop when the pool stops accepting.
 */
export class TaskActions {
  /** False once the pool shuts down: no task is submitted or retried. */
  accepting = true;

  constructor(
    private readonly deps: TaskActionsDeps,
    private readonly options: Readonly<Pick<PoolOptions, 'maxQueue' | 'maxQueueBytes' | 'defaultMaxAttempts' | 'defaultTaskTimeoutMs'>>,
  ) {}

  /** The task, or TASK_NOT_FOUND. */
  requireTask(taskId: string): TaskRecord {
    const task = this.deps.store.get(taskId);
    if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`, { taskId });
    return task;
  }

  /** See PoolService.assign. */
  assign(input: AssignInput, submitter: Submitter): { task: TaskRecord; deduplicated: boolean } {
    if (!this.accepting) throw new AppError('SHUTTING_DOWN', 'the pool is not accepting tasks');
    if (input.idempotencyKey !== undefined) {
      const existing = this.deps.store.findByIdempotencyKey(input.idempotencyKey);
      if (existing) return { task: existing, deduplicated: true };
    }
    const { pending, events } = this.deps;
    const now = this.deps.clock.now();
    this.deps.forecaster.arrived(now, pending.size);
    const task = newTask(input, { taskId: this.deps.ids(), traceId: input.traceId ?? this.deps.ids().replaceAll('-', ''), now, defaults: this.options });
    const choice = this.deps.selector.choose(task, now, now, { ahead: pending.size === 0 ? 0 : pending.aheadOf(task.priority) });
    if (choice.kind !== 'agent' && pending.size >= this.options.maxQueue) {
      throw new AppError('QUEUE_FULL', `${pending.size} tasks are pending`, { maxQueue: this.options.maxQueue });
    }
    const bytes = payloadBytesOf(task.payload);
    if (events.heldBytes + bytes > this.options.maxQueueBytes) {
      throw new AppError('QUEUE_FULL', `unfinished tasks hold ${events.heldBytes} payload bytes; this one adds ${bytes}`, {
        reason: 'queue bytes',
        heldBytes: events.heldBytes,
        payloadBytes: bytes,
        maxQueueBytes: this.options.maxQueueBytes,
      });
    }
    this.deps.store.insert(task);
    if (submitter.notify) events.subscribe(task.taskId, submitter.notify);
    this.deps.dispatcher.changed(task, undefined);
    if (choice.kind === 'agent') this.deps.dispatcher.dispatch(task, choice.agent);
    else {
      pending.enqueue(task, choice.kind === 'hold' ? choice.until : undefined);
      if (choice.kind === 'wait') pending.waitUntil(task.taskId, choice.until);
      this.deps.dispatcher.schedulePump();
    }
    return { task: this.deps.store.get(task.taskId)!, deduplicated: false };
  }

  /** See PoolService.cancel. */
  cancel(taskId: string): TaskRecord {
    const task = this.requireTask(taskId);
    if (TERMINAL_STATES.has(task.state)) throw new AppError('NOT_CANCELLABLE', `task ${taskId} is ${task.state}`, { taskId, state: task.state });
    if (task.state === 'PENDING') {
      this.deps.pending.remove(taskId);
      return this.deps.dispatcher.outcomes.finish(task, 'CANCELLED');
    }
    if (task.cancelRequested) return task;
    const next = { ...task, cancelRequested: true };
    this.deps.store.update(next);
    this.deps.agents.get(task.agentId!)?.channel.notify('task.cancel', { taskId, epoch: task.epoch });
    this.deps.log.info({ taskId, agentId: task.agentId, traceId: task.traceId }, 'task cancel requested');
    return next;
  }

  /** See PoolService.retry. */
  retry(taskId: string): TaskRecord {
    if (!this.accepting) throw new AppError('SHUTTING_DOWN', 'the pool is not accepting tasks');
    const task = this.requireTask(taskId);
    if (task.state !== 'FAILED' && task.state !== 'CANCELLED') {
      throw new AppError('NOT_RETRYABLE', `task ${taskId} is ${task.state}; only FAILED or CANCELLED tasks can be retried`, { taskId, state: task.state });
    }
    if (this.deps.pending.size >= this.options.maxQueue) {
      throw new AppError('QUEUE_FULL', `${this.deps.pending.size} tasks are pending`, { maxQueue: this.options.maxQueue });
    }
    const next = withRetry(task, this.deps.clock.now());
    this.deps.store.reopen(next);
    this.deps.log.info({ taskId, previous: task.state, retry: next.retry!.count, traceId: task.traceId }, 'task retried by operator');
    this.deps.observer.retried?.(next);
    this.deps.dispatcher.changed(next, task.state);
    this.deps.dispatcher.enqueue(next, undefined);
    return this.deps.store.get(taskId)!;
  }
}
