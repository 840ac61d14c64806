import { EXIT, UsageError, type Command } from '../command.js';
import { CONNECTION_OPTIONS, call, connect, outputFormat } from '../connection.js';
import { json, keyValues } from '../output.js';

const counts = (byKey: Record<string, number>): string =>
  Object.entries(byKey)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

export const statusCommand: Command = {
  name: 'status',
  summary: 'The pool at a glance (pool.status): agents by state, capacity, utilization, queue, tasks, latency.',
  options: { ...CONNECTION_OPTIONS },
  async run(ctx) {
    const format = outputFormat(ctx, 'status');
    if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, 'status');
    const client = await connect(ctx, 'status');
    try {
      const s = await call('pool.status', () => client.request('pool.status'));
      if (format === 'json') {
        ctx.out(json(s));
        return EXIT.OK;
      }
      const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
      ctx.out(
        keyValues([
          ['agents', `${s.agents.total} (${counts(s.agents.byState)})`],
          ['capacity', `${s.capacity.used} / ${s.capacity.total} slots in use`],
          ['utilization', pct(s.utilization)],
          ['queue', `${s.queue.depth} waiting, oldest ${Math.round(s.queue.oldestWaitMs)} ms`],
          ['tasks', counts(s.tasks.byState)],
          ['wait p95', `${s.latency.queueWait.p95.toFixed(3)} s`],
          ['run p95', `${s.latency.run.p95.toFixed(3)} s`],
          ['isolation', s.isolation.ok ? 'ok' : 'SHARED CONTEXT WINDOWS'],
          ['accepting', s.accepting ? 'yes' : 'no (shutting down)'],
        ]),
      );
      return EXIT.OK;
    } finally {
      await client.close();
    }
  },
};
