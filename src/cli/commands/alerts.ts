import { ago, table } from '../output.js';
import { replyCommand } from '../reply-command.js';

export const alertsCommand = replyCommand(
  {
    name: 'alerts',
    summary: 'Active performance alerts (coordination.alerts) with the value, threshold and when each started.',
    method: 'coordination.alerts',
    text: (reply) => {
      if (reply.active.length === 0) return 'no active alerts';
      const now = Date.now();
      const rows = reply.active.map((a) => [a.alert, String(Number(a.value.toFixed(4))), String(a.threshold), ago(a.startedAt, now), a.message]);
      return table(['ALERT', 'VALUE', 'THRESHOLD', 'SINCE', 'MESSAGE'], rows);
    },
  },
  {},
);
