import { html } from '../html.js';
import { Chart, fmtNum, Notice } from '../components.js';
import { useLive } from '../hooks.js';

export function Overview({ live }) {
  useLive(live);
  const p = live.pool;
  if (!live.can('pool.status')) return html`<${Notice} kind="warn">This role may not read pool.status.<//>`;
  if (!p) return html`<p>Waiting for the first pool status…</p>`;
  const s = live.series;
  const ms = (arr) => arr.map((v) => v * 1000);
  return html`
    <section class="tiles">
      <div class="tile"><b data-testid="agents-total">${p.agents.total}</b><span>agents</span></div>
      ${Object.entries(p.agents.byState).map(([state, n]) => html`<div class="tile"><b>${n}</b><span>${state}</span></div>`)}
      <div class="tile"><b>${Math.round(p.utilization * 100)}%</b><span>utilization (${p.capacity.used}/${p.capacity.total} slots)</span></div>
      <div class="tile"><b>${p.queue.depth}</b><span>queued</span></div>
      <div class="tile"><b>${fmtNum(p.latency.queueWait.p95 * 1000, 0)} ms</b><span>wait p95</span></div>
      <div class="tile"><b>${fmtNum(p.latency.run.p95 * 1000, 0)} ms</b><span>run p95</span></div>
      ${p.accepting ? null : html`<div class="tile warn"><b>no</b><span>accepting tasks</span></div>`}
    </section>
    <section class="charts">
      <${Chart} title="Agents by state" t=${s.t} series=${Object.entries(s.byState).map(([label, values]) => ({ label, values }))} />
      <${Chart} title="Utilization" t=${s.t} series=${[{ label: 'utilization', values: s.utilization }]} />
      <${Chart} title="Queue depth" t=${s.t} series=${[{ label: 'queued', values: s.queue }]} />
      <${Chart}
        title="Tasks per second"
        t=${s.t}
        series=${[
          { label: 'completed/s', values: s.completed },
          { label: 'failed/s', values: s.failed },
        ]}
      />
      <${Chart}
        title="p95 (ms)"
        t=${s.t}
        series=${[
          { label: 'wait p95', values: ms(s.waitP95) },
          { label: 'run p95', values: ms(s.runP95) },
        ]}
      />
    </section>
    <h3>Recent events</h3>
    ${
      live.streaming
        ? html`<ul class="events">
            ${live.events.slice(0, 20).map((e) => html`<li><code>${e.seq}</code> ${new Date(e.at).toLocaleTimeString()} <b>${e.type}</b> ${summary(e.data)}</li>`)}
          </ul>`
        : html`<p class="muted">No event stream from this daemon.</p>`
    }
  `;
}

function summary(data) {
  if (!data) return '';
  return [data.agentId, data.taskId, data.state, data.alert].filter(Boolean).join(' ');
}
