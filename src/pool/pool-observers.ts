import type { AgentState } from '../schemas/common.js';
import type { TaskState } from '../schemas/task.js';
import type { PoolObserver, RequeueReason } from './pool-observer.js';
import type { TaskRecord } from './task-store.js';

/**
 * One PoolObserver that tells several, in the order they subscribed. The daemon builds the pool
 * before the parts that read it (the alerts read its load, the event feed its agents); each
 * subscribes here once built, so nothing is used before it exists.
 */
export class PoolObservers implements Required<PoolObserver> {
  private readonly observers: PoolObserver[] = [];

  /** Tell `observer` too, after those already subscribed. */
  subscribe(observer: PoolObserver): void {
    this.observers.push(observer);
  }

  taskState(task: TaskRecord, previous: TaskState | undefined): void {
    for (const o of this.observers) o.taskState?.(task, previous);
  }

  requeued(task: TaskRecord, reason: RequeueReason): void {
    for (const o of this.observers) o.requeued?.(task, reason);
  }

  staleEpoch(kind: 'result' | 'progress'): void {
    for (const o of this.observers) o.staleEpoch?.(kind);
  }

  agentState(agentId: string, state: AgentState | 'REMOVED', previous: AgentState | undefined): void {
    for (const o of this.observers) o.agentState?.(agentId, state, previous);
  }

  agentAdmin(agentId: string, action: 'update' | 'drain' | 'remove' | 'force_remove'): void {
    for (const o of this.observers) o.agentAdmin?.(agentId, action);
  }

  retried(task: TaskRecord): void {
    for (const o of this.observers) o.retried?.(task);
  }

  queueWait(seconds: number): void {
    for (const o of this.observers) o.queueWait?.(seconds);
  }

  holdStarted(taskId: string): void {
    for (const o of this.observers) o.holdStarted?.(taskId);
  }

  holdEnded(taskId: string, seconds: number): void {
    for (const o of this.observers) o.holdEnded?.(taskId, seconds);
  }

  attemptRan(seconds: number): void {
    for (const o of this.observers) o.attemptRan?.(seconds);
  }
}

/**
 * The ids of the agents registered with the pool, kept from its agentState events, for a part
 * built before the pool: the circuit breakers ignore reports about an agent that has left.
 */
export class RegisteredIds implements Pick<PoolObserver, 'agentState'> {
  private readonly ids = new Set<string>();

  has(agentId: string): boolean {
    return this.ids.has(agentId);
  }

  agentState(agentId: string, state: AgentState | 'REMOVED'): void {
    if (state === 'REMOVED') this.ids.delete(agentId);
    else this.ids.add(agentId);
  }
}
