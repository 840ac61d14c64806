import { EXIT, UsageError, type Command } from '../command.js';
import { CONNECTION_OPTIONS, call, connect, outputFormat } from '../connection.js';
import { ago, json, table } from '../output.js';

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'Active performance alerts (coordination.alerts) with the value, threshold and when each started.',
  options: { ...CONNECTION_OPTIONS },
  async run(ctx) {
    const format = outputFormat(ctx, 'alerts');
    if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, 'alerts');
    const client = await connect(ctx, 'alerts');
    try {
      const reply = await call('coordination.alerts', () => client.request('coordination.alerts', {}));
      if (format === 'json') {
        ctx.out(json(reply));
        return EXIT.OK;
      }
      if (reply.active.length === 0) {
        ctx.out('no active alerts');
        return EXIT.OK;
      }
      const now = Date.now();
      const rows = reply.active.map((a) => [a.alert, String(Number(a.value.toFixed(4))), String(a.threshold), ago(a.startedAt, now), a.message]);
      ctx.out(table(['ALERT', 'VALUE', 'THRESHOLD', 'SINCE', 'MESSAGE'], rows));
      return EXIT.OK;
    } finally {
      await client.close();
    }
  },
};
