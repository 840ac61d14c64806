import type { AgentState } from '../schemas/common.js';
import type { TaskState } from '../schemas/task.js';
import type { AgentViews } from './agent-views.js';
import type { EventStream } from './event-stream.js';
import type { TaskRecord } from './task-store.js';

/**
 * Turns what the pool and the alerts report into EventStream events: agent.joined / .state /
 * .left, task.created / .state, alert.raised / .cleared. Event data is built only when someone
 * subscribes, so an unwatched daemon pays one size check per change.
 */
export class PoolEventFeed {
  constructor(
    private readonly stream: EventStream,
    private readonly views: Pick<AgentViews, 'summary'>,
    private readonly isRegistered: (agentId: string) => boolean,
  ) {}

  /** An agent's derived state changed (previous undefined: it just registered; REMOVED: it is gone). */
  agentState(agentId: string, state: AgentState | 'REMOVED', previous: AgentState | undefined): void {
    if (!this.stream.active) return;
    if (state === 'REMOVED') {
      this.stream.publish({ type: 'agent.left', agentId, data: { agentId, reason: 'removed' } });
    } else if (this.isRegistered(agentId)) {
      const summary = this.views.summary(agentId);
      if (previous === undefined) this.stream.publish({ type: 'agent.joined', agentId, data: summary });
      else this.stream.publish({ type: 'agent.state', agentId, data: { ...summary, previous } });
    }
  }

  /** An operator changed an agent's capacity, capabilities or tags: agent.state with its state unchanged. */
  agentChanged(agentId: string): void {
    if (!this.stream.active || !this.isRegistered(agentId)) return;
    const summary = this.views.summary(agentId);
    this.stream.publish({ type: 'agent.state', agentId, data: { ...summary, previous: summary.state } });
  }

  /** A task was created or entered another state (same-state bookkeeping writes are not events). */
  taskState(task: TaskRecord, previous: TaskState | undefined): void {
    if (!this.stream.active || task.state === previous) return;
    const data = {
      taskId: task.taskId,
      type: task.type,
      state: task.state,
      ...(previous !== undefined ? { previous } : {}),
      ...(task.agentId !== undefined ? { agentId: task.agentId } : {}),
      priority: task.priority,
      attempt: task.attempts.length,
      epoch: task.epoch,
      createdAt: task.createdAt,
      traceId: task.traceId,
      ...(task.idempotencyKey !== undefined ? { idempotencyKey: task.idempotencyKey } : {}),
      ...(task.error ? { error: { code: task.error.code, message: task.error.message } } : {}),
    };
    this.stream.publish({ type: previous === undefined ? 'task.created' : 'task.state', agentId: task.agentId, taskType: task.type, data });
  }

  alertRaised(alert: object): void {
    this.stream.publish({ type: 'alert.raised', data: alert });
  }

  alertCleared(alert: object): void {
    this.stream.publish({ type: 'alert.cleared', data: alert });
  }
}
