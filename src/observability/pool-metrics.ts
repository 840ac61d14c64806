import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface PoolSources {
  poolSource: () => { queueDepth: number; agentsByState: Record<string, number>; utilization: number };
  eventSubscriptionsSource: () => number;
}

/** Tasks, the queue, agents in the pool and operator actions on them. */
export function poolMetrics(registry: Registry, self: PoolSources) {
  return {
    tasks: new Counter({
      name: 'coordd_tasks_total',
      help: 'Task state entries (a task counts once per state it enters)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),

    /** Read at scrape time; the daemon points it at the pool. */
    poolSource: (() => ({
      queueDepth: 0,
      agentsByState: {},
      utilization: 0,
    })) as PoolSources['poolSource'],

    taskQueueDepth: new Gauge({
      name: 'coordd_task_queue_depth',
      help: 'Tasks waiting in the queue',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.poolSource().queueDepth);
      },
    }),

    taskWait: new Histogram({
      name: 'coordd_task_wait_seconds',
      help: 'Time from submission (or requeue) to dispatch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),

    tasksHeld: new Counter({
      name: 'coordd_tasks_held_total',
      help: 'Tasks RIPPLE_COORDINATION held back for a busy agent expected to finish them sooner than any free one',
      registers: [registry],
    }),

    taskHold: new Histogram({
      name: 'coordd_task_hold_seconds',
      help: 'How long a task was held back for a better (busy) agent, observed when the hold ends',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),

    taskRun: new Histogram({
      name: 'coordd_task_run_seconds',
      help: 'Time one attempt ran on an agent, whatever its outcome',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),

    poolAgents: new Gauge({
      name: 'coordd_pool_agents',
      help: 'Registered agents by state',
      labelNames: ['state'] as const,
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.reset();
        for (const [state, n] of Object.entries(self.poolSource().agentsByState)) this.labels(state).set(n);
      },
    }),

    poolUtilizationRatio: new Gauge({
      name: 'coordd_pool_utilization_ratio',
      help: 'Used task slots / total task slots of registered agents (0-1)',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.poolSource().utilization);
      },
    }),

    /** @deprecated Same value as coordd_pool_utilization_ratio; removed in the release after next. */
    poolUtilization: new Gauge({
      name: 'coordd_pool_utilization',
      help: 'DEPRECATED: use coordd_pool_utilization_ratio (same value; this name goes in the next release)',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.poolSource().utilization);
      },
    }),

    agentAdmin: new Counter({
      name: 'coordd_agent_admin_actions_total',
      help: 'Operator changes to agents (agent.update, agent.drain, agent.remove), by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),

    taskRetries: new Counter({
      name: 'coordd_task_retries_total',
      help: 'FAILED or CANCELLED tasks run again by task.retry',
      registers: [registry],
    }),

    /** Read at scrape time; the daemon points it at the event stream. */
    eventSubscriptionsSource: (() => 0) as PoolSources['eventSubscriptionsSource'],

    eventSubscriptions: new Gauge({
      name: 'coordd_event_subscriptions',
      help: 'Open events.subscribe subscriptions',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.eventSubscriptionsSource());
      },
    }),

    taskRequeues: new Counter({
      name: 'coordd_task_requeues_total',
      help: 'Tasks put back in the queue, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),

    staleEpochReports: new Counter({
      name: 'coordd_stale_epoch_reports_total',
      help: 'Results, errors or progress reports ignored because their epoch was no longer current',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),

    agentStateChanges: new Counter({
      name: 'coordd_agent_state_changes_total',
      help: 'Agent state changes, by the state entered',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
  };
}

export type PoolMetrics = ReturnType<typeof poolMetrics>;
