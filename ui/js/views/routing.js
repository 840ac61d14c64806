import { html } from '../html.js';
import { fmtNum, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';

export function Routing({ live }) {
  useLive(live);
  const query = useQuery(() => live.rpc.call('coordination.metrics', {}), [live.ticks.pool]);
  const m = query.data;
  const selections = m ? Object.entries(m.selections).sort((a, b) => b[1] - a[1]) : [];
  const total = selections.reduce((n, [, v]) => n + v, 0);
  return html`
    <${QueryError} query=${query} what="routing metrics" />
    ${
      m
        ? html`<section class="tiles">
              <div class="tile"><b>${m.defaultStrategy ?? '—'}</b><span>default strategy</span></div>
              <div class="tile"><b>${total > 0 ? selections[0][0] : '—'}</b><span>most used strategy</span></div>
              <div class="tile"><b>${total}</b><span>selections</span></div>
              <div class="tile"><b>${m.fallbacks}</b><span>fallbacks</span></div>
              <div class="tile"><b>${m.agentsTracked}</b><span>agents with signals</span></div>
              <div class="tile"><b>${fmtNum(m.signalHandlingMs.p95, 3)} ms</b><span>signal handling p95</span></div>
            </section>
            <h3>Selections per strategy</h3>
            <table>
              <thead>
                <tr>
                  <th>Strategy</th>
                  <th>Selections</th>
                  <th>Share</th>
                </tr>
              </thead>
              ${selections.map(
                ([s, n]) =>
                  html`<tr>
                    <td>${s}</td>
                    <td>${n}</td>
                    <td>${total ? `${Math.round((n / total) * 100)}%` : '—'}</td>
                  </tr>`,
              )}
            </table>
            <h3>Overload predictions</h3>
            <p>${m.predictions.overloadPredicted} of ${m.predictions.total} predicted overload.</p>`
        : null
    }
  `;
}
