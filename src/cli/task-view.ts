import type { CoordClient } from '../client/client.js';
import { RpcError } from '../client/errors.js';
import type { TaskRecord } from '../client/method-types.js';
import { CliFailure, EXIT } from './command.js';
import { describeFailure } from './connection.js';
import { ago, cell, duration, keyValues, table } from './output.js';

/** The daemon's WAIT_TIMEOUT: task.wait ended before the task did. */
const WAIT_TIMEOUT = -32026;
/** Longest single task.wait; longer waits are several calls. */
const WAIT_CHUNK_MS = 60_000;

/** Tasks as table rows, newest first as the daemon lists them. */
export function taskTable(tasks: readonly TaskRecord[], now = Date.now()): string {
  const rows = tasks.map((t) => [t.taskId, t.state, t.type, t.agentId ?? '-', String(t.attempts.length), ago(t.createdAt, now)]);
  return table(['TASK', 'STATE', 'TYPE', 'AGENT', 'ATTEMPTS', 'CREATED'], rows);
}

/** One task in full: fields, then its attempts. */
export function taskDetail(t: TaskRecord, now = Date.now()): string {
  const pairs: [string, string][] = [
    ['task', t.taskId],
    ['type', t.type],
    ['state', t.state + (t.cancelRequested && t.state === 'IN_PROGRESS' ? ' (cancel requested)' : '')],
    ['agent', t.agentId ?? '-'],
    ['priority', String(t.priority)],
    ['created', `${new Date(t.createdAt).toISOString()} (${ago(t.createdAt, now)})`],
    ['trace', t.traceId],
  ];
  if (t.idempotencyKey) pairs.push(['idempotency key', t.idempotencyKey]);
  if (t.requiredCapabilities.length) pairs.push(['capabilities', t.requiredCapabilities.join(', ')]);
  if (t.progress !== undefined) pairs.push(['progress', `${Math.round(t.progress * 100)}%${t.progressMessage ? ` ${t.progressMessage}` : ''}`]);
  pairs.push(['payload', cell(t.payload, 200)]);
  if (t.result !== undefined) pairs.push(['result', cell(t.result, 200)]);
  if (t.error) pairs.push(['error', `${t.error.message} (${t.error.code})`]);
  const attempts = t.attempts.map((a) => [
    String(a.attempt),
    a.agentId,
    a.outcome,
    duration(a.finishedAt === undefined ? undefined : a.finishedAt - a.startedAt),
    a.error ? cell(a.error.message, 50) : '',
  ]);
  const lines = [keyValues(pairs), '', `attempts (${t.maxAttempts} allowed):`];
  lines.push(attempts.length ? table(['#', 'AGENT', 'OUTCOME', 'TOOK', 'ERROR'], attempts) : '  none yet');
  return lines.join('\n');
}

/** Exit code for a task that was waited for: 0 when it COMPLETED, 1 when it ended FAILED or CANCELLED. */
export function exitFor(task: TaskRecord): number {
  return task.state === 'COMPLETED' ? EXIT.OK : EXIT.FAILED;
}

/** Wait until the task is terminal (task.wait, in chunks); `limitMs` 0 waits for ever. */
export async function waitForTask(client: CoordClient, taskId: string, limitMs: number): Promise<TaskRecord> {
  const deadline = limitMs > 0 ? Date.now() + limitMs : Number.POSITIVE_INFINITY;
  for (;;) {
    const chunk = Math.max(0, Math.min(WAIT_CHUNK_MS, deadline - Date.now()));
    try {
      return await client.waitTask(taskId, chunk);
    } catch (err) {
      if (!(err instanceof RpcError && err.code === WAIT_TIMEOUT)) throw new CliFailure(describeFailure(err, 'task.wait'));
      if (Date.now() >= deadline) throw new CliFailure(`task ${taskId} did not finish within ${limitMs / 1000} s`);
    }
  }
}
