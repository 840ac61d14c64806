import { keyValues } from '../output.js';
import { replyCommand } from '../reply-command.js';

const counts = (byKey: Record<string, number>): string =>
  Object.entries(byKey)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

export const statusCommand = replyCommand({
  name: 'status',
  summary: 'The pool at a glance (pool.status): agents by state, capacity, utilization, queue, tasks, latency.',
  method: 'pool.status',
  text: (s) => {
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    return keyValues([
      ['agents', `${s.agents.total} (${counts(s.agents.byState)})`],
      ['capacity', `${s.capacity.used} / ${s.capacity.total} slots in use`],
      ['utilization', pct(s.utilization)],
      ['queue', `${s.queue.depth} waiting, oldest ${Math.round(s.queue.oldestWaitMs)} ms`],
      ['tasks', counts(s.tasks.byState)],
      ['wait p95', `${s.latency.queueWait.p95.toFixed(3)} s`],
      ['run p95', `${s.latency.run.p95.toFixed(3)} s`],
      ['isolation', s.isolation.ok ? 'ok' : 'SHARED CONTEXT WINDOWS'],
      ['accepting', s.accepting ? 'yes' : 'no (shutting down)'],
    ]);
  },
});
