import { RpcError } from '../../client/errors.js';
import type { MethodParams } from '../../client/method-types.js';
import { TASK_STATES, type TaskState } from '../../schemas/task.js';
import { CliFailure, EXIT, UsageError, intOption, numberOption, onePositional, type Command } from '../command.js';
import { CONNECTION_OPTIONS, ask, describeFailure, outputFormat, withClient } from '../connection.js';
import { eventLine, subscribeEvents, type PoolEvent } from '../events.js';
import { json } from '../output.js';
import { exitFor, taskDetail, taskTable, waitForTask } from '../task-view.js';
import { replyByIdCommand } from '../reply-command.js';

const list: Command = {
  name: 'tasks list',
  summary: 'Tasks, newest first (task.list), filtered and paged.',
  options: {
    state: { type: 'string', placeholder: 'STATE', description: `only tasks in this state (${TASK_STATES.join(', ')})` },
    agent: { type: 'string', placeholder: 'ID', description: 'only tasks run by this agent' },
    type: { type: 'string', placeholder: 'TYPE', description: 'only tasks of this type (daemons with the operator API)' },
    'idempotency-key': { type: 'string', placeholder: 'KEY', description: 'the task submitted with this idempotency key' },
    'trace-id': { type: 'string', placeholder: 'ID', description: 'tasks with this trace id' },
    limit: { type: 'string', placeholder: 'N', description: 'tasks per page, 1-1000', defaultText: '100' },
    cursor: { type: 'string', placeholder: 'CURSOR', description: 'the next page, from a previous reply (json) or the "more:" line' },
    ...CONNECTION_OPTIONS,
  },
  async run(ctx) {
    const format = outputFormat(ctx, this.name);
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, this.name);
    const v = ctx.values;
    const state = v.state as string | undefined;
    if (state !== undefined && !(TASK_STATES as readonly string[]).includes(state))
      throw new UsageError(`--state must be one of ${TASK_STATES.join(', ')} (got "${state}")`, this.name);
    const limit = intOption(v, 'limit', this.name, 1);
    const params: MethodParams<'task.list'> = {};
    if (state !== undefined) params.state = state as TaskState;
    if (v.agent !== undefined) params.agentId = v.agent as string;
    if (v.type !== undefined) params.type = v.type as string;
    if (v['idempotency-key'] !== undefined) params.idempotencyKey = v['idempotency-key'] as string;
    if (v['trace-id'] !== undefined) params.traceId = v['trace-id'] as string;
    if (limit !== undefined) params.limit = limit;
    if (v.cursor !== undefined) params.cursor = v.cursor as string;
    return withClient(ctx, this.name, async (client) => {
      const page = await ask(client, 'task.list', params);
      if (format === 'json') ctx.out(json(page));
      else {
        ctx.out(page.tasks.length ? taskTable(page.tasks) : 'no tasks');
        if (page.nextCursor) ctx.out(`more: coordd tasks list --cursor ${page.nextCursor}`);
      }
      return EXIT.OK;
    });
  },
};

const get = replyByIdCommand({
  name: 'tasks get',
  summary: 'One task in full (task.get): payload, result, error and every attempt.',
  method: 'task.get',
  what: 'the task id',
  params: (taskId) => ({ taskId }),
  text: taskDetail,
});

const cancel = replyByIdCommand({
  name: 'tasks cancel',
  summary: 'Cancel a task (task.cancel): a pending one at once; a running one is told to stop and ends CANCELLED.',
  method: 'task.cancel',
  what: 'the task id',
  params: (taskId) => ({ taskId }),
  text: (reply) => `${reply.taskId} ${reply.state}${reply.cancelRequested && reply.state !== 'CANCELLED' ? ' (cancel requested)' : ''}`,
});

const retry: Command = {
  name: 'tasks retry',
  args: 'ID',
  summary: 'Run a FAILED or CANCELLED task again (task.retry): a new attempt, same task id, its attempts kept.',
  options: {
    wait: { type: 'boolean', description: 'wait until the task ends; exit 1 if it ends FAILED or CANCELLED' },
    'wait-timeout': { type: 'string', placeholder: 'SECONDS', description: 'give up waiting after this long (exit 1); 0 waits for ever', defaultText: '0' },
    ...CONNECTION_OPTIONS,
  },
  async run(ctx) {
    const format = outputFormat(ctx, this.name);
    const taskId = onePositional(ctx, 'the task id', this.name);
    const limitS = numberOption(ctx.values, 'wait-timeout', this.name) ?? 0;
    return withClient(ctx, this.name, async (client) => {
      const task = await ask(client, 'task.retry', { taskId });
      if (!ctx.values.wait) {
        ctx.out(format === 'json' ? json(task) : `${task.taskId} ${task.state} (attempt ${task.attempts.length + 1} of up to ${task.maxAttempts})`);
        return EXIT.OK;
      }
      const done = await waitForTask(client, taskId, limitS * 1000);
      ctx.out(format === 'json' ? json(done) : taskDetail(done));
      return exitFor(done);
    });
  },
};

const watch: Command = {
  name: 'tasks watch',
  args: '[ID]',
  summary: 'Follow task events live (events.subscribe). With ID: that task until it ends, then its record; exit 1 if it ended FAILED or CANCELLED.',
  notes: ['Without ID it runs until Ctrl-C. With -o json every event is one JSON line (then, with ID, the final record as one line).'],
  options: {
    type: { type: 'string', placeholder: 'TYPE', description: 'only tasks of this type' },
    ...CONNECTION_OPTIONS,
  },
  async run(ctx) {
    const format = outputFormat(ctx, this.name);
    if (ctx.positionals.length > 1) throw new UsageError(`unexpected argument "${ctx.positionals[1]}"`, this.name);
    const taskId = ctx.positionals[0];
    const taskType = ctx.values.type as string | undefined;
    return withClient(ctx, this.name, async (client) => {
      const print = (event: PoolEvent): void => {
        if (taskId !== undefined && (event.data as { taskId?: string }).taskId !== taskId) return;
        ctx.out(format === 'json' ? JSON.stringify(event) : eventLine(event));
      };
      const params = { types: ['task.created' as const, 'task.state' as const], ...(taskType ? { taskType } : {}) };
      // Ctrl-C is handled from now on: an event may be printed (and read) before subscribe() returns.
      const closed = taskId === undefined ? untilClosed(client) : undefined;
      try {
        const { seq } = await subscribeEvents(client, params, print);
        ctx.err(`coordd: watching task events from seq ${seq + 1}${taskId ? ` for ${taskId}` : ' (Ctrl-C stops)'}`);
      } catch (err) {
        // A daemon without the event stream can still follow one task to its end.
        if (!(err instanceof RpcError && err.code === -32601 && taskId !== undefined)) throw new CliFailure(describeFailure(err, 'events.subscribe'));
        ctx.err('coordd: this daemon has no events.subscribe; showing the task when it ends');
      }
      if (taskId === undefined) return closed ?? EXIT.FAILED;
      const done = await waitForTask(client, taskId, 0);
      ctx.out(format === 'json' ? JSON.stringify(done) : taskDetail(done));
      return exitFor(done);
    });
  },
};

/** Resolves when the connection ends (exit 1) or on SIGINT/SIGTERM (exit 0). */
function untilClosed(client: { once(event: 'end', fn: () => void): unknown }): Promise<number> {
  return new Promise((resolve) => {
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      resolve(EXIT.OK);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    client.once('end', () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (stopped) return;
      process.stderr.write('coordd: the daemon closed the connection\n');
      resolve(EXIT.FAILED);
    });
  });
}

export const taskCommands: Command[] = [list, get, cancel, retry, watch];
