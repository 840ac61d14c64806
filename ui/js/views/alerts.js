import { html } from '../html.js';
import { fmtNum, fmtTime, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';

export function Alerts({ live }) {
  useLive(live);
  const query = useQuery(() => live.rpc.call('coordination.alerts', {}), [live.ticks.alerts]);
  const r = query.data;
  return html`
    <${QueryError} query=${query} what="alerts" />
    <h3>Active</h3>
    ${r && r.active.length === 0 ? html`<p class="muted" data-testid="no-alerts">No active alerts.</p>` : null}
    <ul class="alerts">
      ${r?.active.map((a) => html`<li class="alert"><b>${a.alert}</b> since ${fmtTime(a.startedAt)}: ${a.message} (value ${fmtNum(a.value)}, threshold ${fmtNum(a.threshold)})</li>`)}
    </ul>
    ${
      r
        ? html`<h3>Thresholds</h3>
            <dl class="facts">
              ${Object.entries(r.thresholds).map(
                ([k, v]) =>
                  html`<dt>${k}</dt>
                    <dd>${v}</dd>`,
              )}
            </dl>`
        : null
    }
  `;
}
