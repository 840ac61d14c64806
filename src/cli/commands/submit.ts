import { EXIT, UsageError, intOption, numberOption, type Command } from '../command.js';
import { CONNECTION_OPTIONS, ask, outputFormat, withClient } from '../connection.js';
import { json } from '../output.js';
import { exitFor, taskDetail, waitForTask } from '../task-view.js';

export const submitCommand: Command = {
  name: 'submit',
  summary: 'Submit a task (pool.assign); with --wait, wait for it to end and exit 1 if it ends FAILED or CANCELLED.',
  notes: ['Example: coordd submit --type summarize --capability summarize --payload \'{"text":"Hello, agents"}\' --wait'],
  options: {
    type: { type: 'string', placeholder: 'TYPE', description: 'the task type (required)' },
    payload: { type: 'string', placeholder: 'JSON', description: 'the task payload, as JSON', defaultText: 'none' },
    capability: { type: 'string', multiple: true, placeholder: 'CAP', description: 'a capability the agent must have' },
    agent: { type: 'string', placeholder: 'ID', description: 'prefer this agent' },
    priority: { type: 'string', placeholder: 'N', description: 'higher runs first', defaultText: '0' },
    'idempotency-key': { type: 'string', placeholder: 'KEY', description: 'submitting the same key again returns the first task' },
    'task-timeout': { type: 'string', placeholder: 'SECONDS', description: 'time per attempt', defaultText: "the daemon's COORDD_TASK_TIMEOUT" },
    'max-attempts': { type: 'string', placeholder: 'N', description: 'attempts before the task FAILS', defaultText: "the daemon's COORDD_TASK_MAX_ATTEMPTS" },
    wait: { type: 'boolean', description: 'wait until the task ends and print its record (state changes go to stderr)' },
    'wait-timeout': { type: 'string', placeholder: 'SECONDS', description: 'give up waiting after this long (exit 1); 0 waits for ever', defaultText: '0' },
    ...CONNECTION_OPTIONS,
  },
  async run(ctx) {
    const name = this.name;
    const format = outputFormat(ctx, name);
    const v = ctx.values;
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, name);
    const type = v.type as string | undefined;
    if (!type) throw new UsageError('--type is required', name);
    let payload: unknown;
    if (v.payload !== undefined) {
      try {
        payload = JSON.parse(v.payload as string);
      } catch (err) {
        throw new UsageError(`--payload is not JSON: ${(err as Error).message}`, name);
      }
    }
    const timeoutS = numberOption(v, 'task-timeout', name, 0.001);
    const limitS = numberOption(v, 'wait-timeout', name) ?? 0;
    const params = {
      type,
      ...(payload !== undefined ? { payload } : {}),
      ...(v.capability ? { requiredCapabilities: v.capability as string[] } : {}),
      ...(v.agent ? { preferredAgentId: v.agent as string } : {}),
      ...(v.priority !== undefined ? { priority: Number(v.priority) } : {}),
      ...(v['idempotency-key'] ? { idempotencyKey: v['idempotency-key'] as string } : {}),
      ...(timeoutS !== undefined ? { timeoutMs: Math.round(timeoutS * 1000) } : {}),
      ...(v['max-attempts'] !== undefined ? { maxAttempts: intOption(v, 'max-attempts', name, 1) } : {}),
      ...(v.wait ? { subscribe: true } : {}),
    };
    if (params.priority !== undefined && !Number.isInteger(params.priority))
      throw new UsageError(`--priority must be a whole number (got "${String(v.priority)}")`, name);
    return withClient(ctx, name, async (client) => {
      if (v.wait) {
        client.handle('task.updated', (update) => {
          const u = update as { taskId?: string; state?: string; agentId?: string; attempt?: number };
          ctx.err(`coordd: ${u.taskId} ${u.state}${u.agentId ? ` on ${u.agentId}` : ''}${u.attempt ? ` (attempt ${u.attempt})` : ''}`);
        });
      }
      const assigned = await ask(client, 'pool.assign', params);
      if (!v.wait) {
        ctx.out(
          format === 'json'
            ? json(assigned)
            : `${assigned.taskId} ${assigned.state}${assigned.agentId ? ` on ${assigned.agentId}` : ''}${assigned.deduplicated ? ' (existing task: same idempotency key)' : ''}`,
        );
        return EXIT.OK;
      }
      const done = await waitForTask(client, assigned.taskId, limitS * 1000);
      ctx.out(format === 'json' ? json(done) : taskDetail(done));
      return exitFor(done);
    });
  },
};
