import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, Cursor, Limit, Timestamp, TraceId } from './common.js';
import { StrategyName } from '../config.js';
import { Capability } from './agent.js';
import { boundedJson } from './json-value.js';

export const TASK_STATES = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export const TaskId = z.string().min(1).max(128);

export const TaskError = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
});

export const ATTEMPT_OUTCOMES = ['running', 'completed', 'failed', 'timeout', 'disconnected', 'cancelled', 'stale'] as const;
export const Attempt = z.object({
  attempt: z.number().int().min(1),
  agentId: AgentId,
  epoch: z.number().int().min(1),
  startedAt: Timestamp,
  finishedAt: Timestamp.optional(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  error: TaskError.optional(),
});

export const TaskRecord = z.object({
  taskId: TaskId,
  type: z.string(),
  payload: z.unknown(),
  state: TaskState,
  priority: z.number().int(),
  agentId: AgentId.optional().describe('The agent running it, or the last one that did'),
  epoch: z.number().int().nonnegative(),
  attempts: z.array(Attempt),
  maxAttempts: z.number().int().min(1),
  timeoutMs: z.number().int().positive(),
  requiredCapabilities: z.array(Capability),
  preferredAgentId: AgentId.optional(),
  affinityKey: z.string().optional(),
  idempotencyKey: z.string().optional(),
  strategy: StrategyName.optional(),
  progress: z.number().min(0).max(1).optional(),
  progressMessage: z.string().optional(),
  result: z.unknown().optional(),
  error: TaskError.optional(),
  cancelRequested: z.boolean(),
  retry: z
    .object({
      count: z.number().int().min(1).describe('task.retry calls so far'),
      at: Timestamp.describe('When the latest task.retry was accepted'),
      afterAttempt: z.number().int().nonnegative().describe('Attempts before it: only later ones count against maxAttempts and the requeue limit'),
    })
    .optional()
    .describe('Set once an operator ran the FAILED or CANCELLED task again (task.retry)'),
  createdAt: Timestamp,
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  traceId: TraceId,
});

export const poolAssign = defineMethod({
  name: 'pool.assign',
  summary: 'Submit a task: dispatched at once when an agent is free, otherwise queued by priority (FIFO within one).',
  roles: ['operator', 'admin'],
  params: z.strictObject({
    type: z.string().min(1).max(128),
    payload: boundedJson().optional().describe('Any JSON value, bounded by COORDD_MAX_DEPTH and COORDD_MAX_VALUE_BYTES'),
    requiredCapabilities: z.array(Capability).max(64).optional(),
    preferredAgentId: AgentId.optional(),
    affinityKey: z.string().min(1).max(256).optional(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional().describe('Higher first; default 0'),
    timeoutMs: z.number().int().min(1).max(86_400_000).optional().describe('Per attempt; default COORDD_TASK_TIMEOUT'),
    maxAttempts: z.number().int().min(1).max(100).optional().describe('Default COORDD_TASK_MAX_ATTEMPTS'),
    idempotencyKey: z.string().min(1).max(256).optional(),
    strategy: StrategyName.optional(),
    subscribe: z.boolean().optional().describe('Send task.updated notifications to this connection'),
    traceId: TraceId.optional(),
  }),
  result: z.object({
    taskId: TaskId,
    state: TaskState,
    agentId: AgentId.optional(),
    deduplicated: z.boolean().describe('True when an existing task with the same idempotencyKey was returned'),
  }),
});

export const taskGet = defineMethod({
  name: 'task.get',
  summary: 'The whole record of a task.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ taskId: TaskId }),
  result: TaskRecord,
});

export const taskList = defineMethod({
  name: 'task.list',
  summary: 'Tasks, newest first, filtered (every field given must match), paged.',
  roles: ['operator', 'admin'],
  params: z.strictObject({
    state: TaskState.optional(),
    agentId: AgentId.optional().describe('The agent running it, or the last one that did'),
    type: z.string().min(1).max(128).optional(),
    createdAfter: Timestamp.optional().describe('createdAt >= this'),
    createdBefore: Timestamp.optional().describe('createdAt < this'),
    idempotencyKey: z.string().min(1).max(256).optional(),
    traceId: TraceId.optional(),
    limit: Limit.optional().describe('Default 100'),
    cursor: Cursor.optional(),
  }),
  result: z.object({ tasks: z.array(TaskRecord), nextCursor: Cursor.optional() }),
});

export const taskWait = defineMethod({
  name: 'task.wait',
  summary: 'Resolve with the task once it reaches a terminal state (WAIT_TIMEOUT after timeoutMs).',
  roles: ['operator', 'admin'],
  params: z.strictObject({ taskId: TaskId, timeoutMs: z.number().int().min(0).max(3_600_000).optional().describe('Default 30000') }),
  result: TaskRecord,
});

export const taskCancel = defineMethod({
  name: 'task.cancel',
  summary: 'Cancel a task: a pending one at once; a running one is sent task.cancel and ends CANCELLED.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ taskId: TaskId }),
  result: z.object({ taskId: TaskId, state: TaskState, cancelRequested: z.boolean() }),
});

export const taskRetry = defineMethod({
  name: 'task.retry',
  summary: 'Run a FAILED or CANCELLED task again: same id, attempts kept, a fresh maxAttempts budget; queued like a new task.',
  roles: ['operator', 'admin'],
  params: z.strictObject({ taskId: TaskId }),
  result: TaskRecord,
});

/** Notifications between daemon and agents (documented; agents send task.progress). */
export const taskProgress = defineMethod({
  name: 'task.progress',
  summary: 'Agent → daemon notification: progress of a running task (ignored when the epoch is stale).',
  roles: ['agent', 'admin'],
  params: z.strictObject({
    taskId: TaskId,
    epoch: z.number().int().min(1),
    progress: z.number().min(0).max(1).optional(),
    message: z.string().max(4096).optional(),
  }),
  result: z.object({ accepted: z.boolean() }),
});

export const taskReport = defineMethod({
  name: 'task.report',
  summary:
    'Agent → daemon: the result or error of an attempt whose task.run request can no longer be answered (the daemon restarted or the connection changed). Accepted only for the current epoch on the reporting agent.',
  roles: ['agent', 'admin'],
  params: z.union([
    z.strictObject({ taskId: TaskId, epoch: z.number().int().min(1), result: boundedJson().describe('The attempt\'s result, as task.run would have returned it') }),
    z.strictObject({ taskId: TaskId, epoch: z.number().int().min(1), error: TaskError.describe('The attempt\'s error (data.retryable: false fails the task at once)') }),
  ]),
  result: z.object({ accepted: z.boolean().describe('false: stale (another epoch or agent, or the task no longer runs); the report was ignored') }),
});

/** Daemon → agent request `task.run` (params); the agent's result completes the task. */
export const TaskRunParams = z.object({
  taskId: TaskId,
  type: z.string(),
  payload: z.unknown(),
  attempt: z.number().int().min(1),
  epoch: z.number().int().min(1),
  traceId: TraceId,
  deadline: Timestamp.optional(),
});
export type TaskRunParams = z.infer<typeof TaskRunParams>;
