import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export const Notice = ({ kind = 'info', children }) => html`<div class=${`notice ${kind}`} role="status">${children}</div>`;

/** A failed query: a clear notice, with the older-daemon case (-32601) told apart. */
export function QueryError({ query, what }) {
  if (!query.error) return null;
  if (query.missing) return html`<${Notice} kind="warn">This daemon does not serve ${what} (method not found): update coordd to see it.<//>`;
  return html`<${Notice} kind="error">${what}: ${query.error.message}<//>`;
}

export const Json = ({ value }) => html`<pre class="json">${value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>`;

export const Badge = ({ value }) => html`<span class=${`badge s-${String(value).toLowerCase()}`}>${value}</span>`;

export function Bar({ value, max, label }) {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  const ref = useRef();
  // Set through the CSSOM: the page's CSP allows no inline style attributes.
  useEffect(() => {
    if (ref.current) ref.current.style.width = `${(ratio * 100).toFixed(1)}%`;
  }, [ratio]);
  return html`<div class="bar" title=${label}>
    <div class=${ratio >= 1 ? 'fill full' : 'fill'} ref=${ref}></div>
    <span>${label}</span>
  </div>`;
}

/** Daemon timestamps are epoch milliseconds. */
export const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '—');
export const fmtMs = (ms) => (ms === undefined || ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const fmtNum = (n, digits = 2) => (typeof n === 'number' ? n.toFixed(digits) : '—');

const PALETTE = ['#2f7ed8', '#e4572e', '#29a35a', '#f2a900', '#8e44ad', '#7f8c8d'];

/** A live uPlot line chart; `series` = [{label, values}] over shared `t` (seconds). */
export function Chart({ title, t, series }) {
  const box = useRef();
  const plot = useRef();
  const labels = series.map((s) => s.label).join('|');
  useEffect(() => {
    const opts = {
      title,
      width: Math.max(260, box.current.clientWidth - 8),
      height: 160,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5 }))],
      axes: [{}, { size: 60 }],
      legend: { live: false },
    };
    plot.current = new uPlot(opts, [t, ...series.map((s) => s.values)], box.current);
    return () => plot.current.destroy();
  }, [labels]);
  useEffect(() => {
    plot.current?.setData([t.slice(), ...series.map((s) => s.values.slice())]);
  });
  return html`<div class="chart" ref=${box}></div>`;
}
