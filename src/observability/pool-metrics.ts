import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface PoolSources {
  poolSource: () => { queueDepth: number; agentsByState: Record<string, number>; utilization: number };
  eventSubscriptionsSource: () => number;
}

/** Tasks, the queue, agents in the pool and operator actions on them. */
export function poolMetrics(registry: Registry, self: PoolSources) {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    tasks: counter('coordd_tasks_total', 'Task state entries (a task counts once per state it enters)', ['state']),

    /** Read at scrape time; the daemon points it at the pool. */
    poolSource: (() => ({ queueDepth: 0, agentsByState: {}, utilization: 0 })) as PoolSources['poolSource'],

    taskQueueDepth: gauge('coordd_task_queue_depth', 'Tasks waiting in the queue', [], function () {
      this.set(self.poolSource().queueDepth);
    }),

    taskWait: histogram(
      'coordd_task_wait_seconds',
      'Time from submission (or requeue) to dispatch',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    ),

    tasksHeld: counter('coordd_tasks_held_total', 'Tasks RIPPLE_COORDINATION held back for a busy agent expected to finish them sooner than any free one'),

    taskHold: histogram(
      'coordd_task_hold_seconds',
      'How long a task was held back for a better (busy) agent, observed when the hold ends',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),

    taskRun: histogram(
      'coordd_task_run_seconds',
      'Time one attempt ran on an agent, whatever its outcome',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    ),

    poolAgents: gauge('coordd_pool_agents', 'Registered agents by state', ['state'], function () {
      this.reset();
      for (const [state, n] of Object.entries(self.poolSource().agentsByState)) this.labels(state).set(n);
    }),

    poolUtilizationRatio: gauge('coordd_pool_utilization_ratio', 'Used task slots / total task slots of registered agents (0-1)', [], function () {
      this.set(self.poolSource().utilization);
    }),

    /** @deprecated Same value as coordd_pool_utilization_ratio; removed in the release after next. */
    poolUtilization: gauge(
      'coordd_pool_utilization',
      'DEPRECATED: use coordd_pool_utilization_ratio (same value; this name goes in the next release)',
      [],
      function () {
        this.set(self.poolSource().utilization);
      },
    ),

    agentAdmin: counter('coordd_agent_admin_actions_total', 'Operator changes to agents (agent.update, agent.drain, agent.remove), by action', ['action']),

    taskRetries: counter('coordd_task_retries_total', 'FAILED or CANCELLED tasks run again by task.retry'),

    /** Read at scrape time; the daemon points it at the event stream. */
    eventSubscriptionsSource: (() => 0) as PoolSources['eventSubscriptionsSource'],

    eventSubscriptions: gauge('coordd_event_subscriptions', 'Open events.subscribe subscriptions', [], function () {
      this.set(self.eventSubscriptionsSource());
    }),

    taskRequeues: counter('coordd_task_requeues_total', 'Tasks put back in the queue, by reason', ['reason']),

    staleEpochReports: counter('coordd_stale_epoch_reports_total', 'Results, errors or progress reports ignored because their epoch was no longer current', [
      'kind',
    ]),

    agentStateChanges: counter('coordd_agent_state_changes_total', 'Agent state changes, by the state entered', ['state']),
  };
}

export type PoolMetrics = ReturnType<typeof poolMetrics>;
