import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import type { AgentChanges, AgentRegistry } from './agent-registry.js';
import type { AgentRecord } from './agent-record.js';
import type { AttemptDispatcher } from './attempt-dispatcher.js';
import type { Conditions } from './conditions.js';
import type { PoolObserver } from './pool-observer.js';
import { MAX_REMOVAL_WAIT_MS } from './pool-options.js';
import type { TaskStore } from './task-store.js';

/** A task an agent runs now, with its running attempt's epoch and start. */
export interface RunningTask {
  taskId: string;
  type: string;
  epoch: number;
  startedAt: number;
}

/** What OperatorActions needs from the pool around it. */
export interface OperatorActionsDeps {
  agents: AgentRegistry;
  store: Pick<TaskStore, 'get'>;
  log: Log;
  observer: PoolObserver;
  conditions: Conditions;
  dispatcher: Pick<AttemptDispatcher, 'running' | 'removeAgent' | 'schedulePump'>;
}

/** What an operator does to one agent (agent.update / drain / remove) and what it reads of one (agent.get). */
export class OperatorActions {
  constructor(private readonly deps: OperatorActionsDeps) {}

  /** The agent, or UNKNOWN_AGENT. */
  requireAgent(agentId: string): AgentRecord {
    const agent = this.deps.agents.get(agentId);
    if (!agent) throw new AppError('UNKNOWN_AGENT', `agent ${agentId} is not registered`, { agentId });
    return agent;
  }

  /** Change capacity, capabilities or tags. A lower capacity takes effect as running tasks end; none is cut short. */
  updateAgent(agentId: string, changes: AgentChanges): AgentRecord {
    const agent = this.requireAgent(agentId);
    this.deps.agents.update(agent, changes);
    this.deps.observer.agentAdmin?.(agentId, 'update');
    this.deps.dispatcher.schedulePump();
    return agent;
  }

  /** DRAINING from now on: no new work, what runs finishes. Lasts until the agent registers again. */
  drainAgent(agentId: string): AgentRecord {
    const agent = this.requireAgent(agentId);
    if (!agent.draining) {
      this.deps.agents.setDraining(agent, true);
      this.deps.log.info({ agentId, inFlight: agent.inFlight.size }, 'agent drained by operator');
      this.deps.observer.agentAdmin?.(agentId, 'drain');
    }
    return agent;
  }

  /**
   * Remove an agent. Without `force`: drain it, and disconnect it once its running tasks have
   * ended (at once when it runs none). With `force`: requeue what it runs and disconnect it now.
   * `removed` says whether it is gone already.
   */
  removeByOperator(agentId: string, force: boolean): { removed: boolean; requeued: number } {
    const agent = this.requireAgent(agentId);
    const requeued = force ? agent.inFlight.size : 0;
    if (force || agent.inFlight.size === 0) {
      this.deps.log.info({ agentId, requeued, force }, 'agent removed by operator');
      this.deps.observer.agentAdmin?.(agentId, force ? 'force_remove' : 'remove');
      agent.channel.close('removed by an operator');
      this.deps.dispatcher.removeAgent(agent, 'agent_removed');
      return { removed: true, requeued };
    }
    this.drainAgent(agentId);
    this.deps.log.info({ agentId, inFlight: agent.inFlight.size }, 'agent will be removed once its running tasks end');
    this.deps.observer.agentAdmin?.(agentId, 'remove');
    // Every attempt ends by its own timeout at the latest, so this never waits on the bound.
    void this.deps.conditions
      .until(() => this.deps.agents.get(agentId) !== agent || agent.inFlight.size === 0, MAX_REMOVAL_WAIT_MS)
      .then(() => {
        if (this.deps.agents.get(agentId) !== agent) return;
        agent.channel.close('removed by an operator');
        this.deps.dispatcher.removeAgent(agent, 'agent_removed');
      });
    return { removed: false, requeued: 0 };
  }

  /** The tasks an agent runs now, with the epoch and start of each running attempt. */
  runningOn(agentId: string): RunningTask[] {
    const agent = this.deps.agents.get(agentId);
    if (!agent) return [];
    const out: RunningTask[] = [];
    for (const taskId of agent.inFlight) {
      const run = this.deps.dispatcher.running.get(taskId);
      const task = this.deps.store.get(taskId);
      if (run && task) out.push({ taskId, type: task.type, epoch: run.epoch, startedAt: run.startedAt });
    }
    return out;
  }
}
