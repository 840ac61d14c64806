import { html } from '../html.js';
import { Badge, fmtMs, fmtNum, fmtTime, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';

export function Leases({ live }) {
  useLive(live);
  const leases = useQuery(() => live.rpc.call('resource.list', {}), [live.ticks.pool]);
  const conflicts = useQuery(() => live.rpc.call('coordination.conflicts', { limit: 50 }), [live.ticks.pool]);
  const st = conflicts.data?.stats;
  return html`
    <h3>Leases</h3>
    <${QueryError} query=${leases} what="leases" />
    ${leases.data && leases.data.resources.length === 0 ? html`<p class="muted">No resource is held or awaited.</p>` : null}
    <table>
      ${
        leases.data?.resources.length
          ? html`<thead>
              <tr>
                <th>Resource</th>
                <th>Holders</th>
                <th>Waiting</th>
              </tr>
            </thead>`
          : null
      }
      ${leases.data?.resources.map(
        (r) =>
          html`<tr>
            <td class="mono">${r.resource}</td>
            <td>${r.leases.map((l) => html`<div><span class="mono">${l.agentId}</span> ${l.mode} until ${fmtTime(l.expiresAt)}</div>`)}</td>
            <td>${r.waiters.map((w) => html`<div><span class="mono">${w.agentId}</span> ${w.mode} (prio ${w.priority})</div>`)}</td>
          </tr>`,
      )}
    </table>
    <h3>Conflicts</h3>
    <${QueryError} query=${conflicts} what="conflicts" />
    ${st ? html`<p>${st.total} total: ${st.resolved} resolved, ${st.escalated} escalated, ${st.abandoned} abandoned, ${st.pending} pending; resolution rate ${fmtNum(st.resolutionRate)}; wait p95 ${fmtMs(st.waitMs.p95)}</p>` : null}
    <table>
      ${
        conflicts.data?.events.length
          ? html`<thead>
              <tr>
                <th>At</th>
                <th>Resource</th>
                <th>Waiting agent</th>
                <th>Kind</th>
                <th>Resolution</th>
                <th>Waited</th>
              </tr>
            </thead>`
          : null
      }
      ${conflicts.data?.events.map(
        (c) =>
          html`<tr>
            <td>${fmtTime(c.at)}</td>
            <td class="mono">${c.resource}</td>
            <td class="mono">${c.agentId}</td>
            <td>${c.kind}</td>
            <td><${Badge} value=${c.resolution} /></td>
            <td>${fmtMs(c.waitedMs)}</td>
          </tr>`,
      )}
    </table>
  `;
}
