import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { Badge, fmtTime, Json, Notice, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';
import { RpcError } from '../rpc.js';

const STATES = ['', 'PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED'];
const FILTERS = ['state', 'type', 'agentId', 'createdAfter', 'createdBefore', 'idempotencyKey', 'traceId'];
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const INVALID_PARAMS = -32602;

export function Tasks({ live, route, navigate }) {
  return route.arg
    ? html`<${TaskDetail} live=${live} taskId=${route.arg} navigate=${navigate} />`
    : html`<${TaskList} live=${live} route=${route} navigate=${navigate} />`;
}

function TaskList({ live, route, navigate }) {
  useLive(live);
  const filter = Object.fromEntries(FILTERS.map((k) => [k, route.query.get(k) ?? '']));
  const cursor = route.query.get('cursor') ?? undefined;
  const key = JSON.stringify(filter);
  const query = useQuery(async () => {
    const params = { limit: 50 };
    for (const k of FILTERS) if (filter[k]) params[k] = k.startsWith('created') ? Number(filter[k]) : filter[k];
    if (cursor) params.cursor = cursor;
    return live.rpc.call('task.list', params);
  }, [live.ticks.tasks, key, cursor]);
  const setFilter = (k, v) => {
    const q = new URLSearchParams(route.query);
    q.delete('cursor');
    if (v) q.set(k, v);
    else q.delete(k);
    navigate(`#/tasks?${q}`);
  };
  const unsupported = query.error instanceof RpcError && query.error.code === INVALID_PARAMS;
  return html`
    <${Lookup} live=${live} navigate=${navigate} />
    <div class="toolbar">
      <label
        >State
        <select value=${filter.state} onChange=${(e) => setFilter('state', e.target.value)}>
          ${STATES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select></label
      >
      <label>Type <input value=${filter.type} onChange=${(e) => setFilter('type', e.target.value.trim())} /></label>
      <label>Agent <input value=${filter.agentId} onChange=${(e) => setFilter('agentId', e.target.value.trim())} /></label>
      <label
        >Created after
        <input type="datetime-local" value=${localInput(filter.createdAfter)} onChange=${(e) => setFilter('createdAfter', isoOf(e.target.value))}
      /></label>
      <label
        >Created before
        <input type="datetime-local" value=${localInput(filter.createdBefore)} onChange=${(e) => setFilter('createdBefore', isoOf(e.target.value))}
      /></label>
    </div>
    ${unsupported ? html`<${Notice} kind="warn">This daemon's task.list does not take these filters (${query.error.message}); clear them or update coordd.<//>` : html`<${QueryError} query=${query} what="the task list" />`}
    <table class="tasks" data-testid="task-table">
      <thead>
        <tr>
          <th>Task</th>
          <th>Type</th>
          <th>State</th>
          <th>Agent</th>
          <th>Attempts</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        ${query.data?.tasks.map(
          (t) =>
            html`<tr data-task-id=${t.taskId}>
              <td><a href=${`#/tasks/${encodeURIComponent(t.taskId)}`} class="mono">${t.taskId}</a></td>
              <td>${t.type}</td>
              <td><${Badge} value=${t.state} /></td>
              <td class="mono">${t.agentId ?? '—'}</td>
              <td>${t.attempts.length}/${t.maxAttempts}</td>
              <td>${fmtTime(t.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${query.data?.tasks.length === 0 ? html`<p class="muted">No tasks match.</p>` : null}
    ${query.data?.nextCursor ? html`<button onClick=${() => setFilter('cursor', query.data.nextCursor)}>Older →</button>` : null}
  `;
}

/** Find a task by id, idempotency key or trace id. */
function Lookup({ live, navigate }) {
  const [text, setText] = useState('');
  const [message, setMessage] = useState(undefined);
  const find = async (e) => {
    e.preventDefault();
    const v = text.trim();
    if (!v) return;
    setMessage(undefined);
    const found = await live.rpc.call('task.get', { taskId: v }).catch(() => undefined);
    if (found) return navigate(`#/tasks/${encodeURIComponent(found.taskId)}`);
    for (const k of ['idempotencyKey', 'traceId']) {
      const r = await live.rpc.call('task.list', { [k]: v, limit: 2 }).catch(() => undefined);
      if (r?.tasks.length === 1) return navigate(`#/tasks/${encodeURIComponent(r.tasks[0].taskId)}`);
      if (r?.tasks.length > 1) return navigate(`#/tasks?${k}=${encodeURIComponent(v)}`);
    }
    setMessage(`No task with id, idempotency key or trace id "${v}".`);
  };
  return html`<form class="lookup" onSubmit=${find}>
      <input placeholder="Task id, idempotency key or trace id" value=${text} onInput=${(e) => setText(e.target.value)} aria-label="lookup" />
      <button type="submit">Find</button>
    </form>
    ${message ? html`<${Notice} kind="warn">${message}<//>` : null}`;
}

function TaskDetail({ live, taskId, navigate }) {
  useLive(live);
  const [message, setMessage] = useState(undefined);
  const query = useQuery(() => live.rpc.call('task.get', { taskId }), [live.ticks.tasks, taskId]);
  const t = query.data;
  const act = async (method) => {
    try {
      const r = await live.rpc.call(method, { taskId });
      setMessage({ kind: 'ok', text: `${method}: ${r.state}` });
      live.bump(['tasks']);
    } catch (err) {
      setMessage({ kind: 'error', text: `${method}: ${err.message}` });
    }
  };
  if (!t)
    return html`<p><a href="#/tasks" onClick=${(e) => (e.preventDefault(), navigate('#/tasks'))}>← tasks</a></p>
      <${QueryError} query=${query} what=${`task ${taskId}`} />`;
  const canCancel = live.can('task.cancel') && !TERMINAL.has(t.state) && !t.cancelRequested;
  const canRetry = live.can('task.retry') && (t.state === 'FAILED' || t.state === 'CANCELLED');
  return html`
    <p><a href="#/tasks">← tasks</a></p>
    <h2 class="mono">${t.taskId} <${Badge} value=${t.state} /></h2>
    ${message ? html`<${Notice} kind=${message.kind}>${message.text}<//>` : null}
    <div class="actions">
      ${canCancel ? html`<button class="danger" data-testid="cancel" onClick=${() => act('task.cancel')}>Cancel</button>` : null}
      ${canRetry ? html`<button data-testid="retry" onClick=${() => act('task.retry')}>Retry</button>` : null}
    </div>
    <dl class="facts">
      <dt>Type</dt>
      <dd>${t.type}</dd>
      <dt>Priority</dt>
      <dd>${t.priority}</dd>
      <dt>Agent</dt>
      <dd class="mono">${t.agentId ?? '—'}</dd>
      <dt>Created</dt>
      <dd>${fmtTime(t.createdAt)}</dd>
      <dt>Finished</dt>
      <dd>${fmtTime(t.finishedAt)}</dd>
      <dt>Trace id</dt>
      <dd class="mono">${t.traceId}</dd>
      <dt>Idempotency key</dt>
      <dd class="mono">${t.idempotencyKey ?? '—'}</dd>
      ${
        t.progress !== undefined
          ? html`<dt>Progress</dt>
              <dd>${Math.round(t.progress * 100)}% ${t.progressMessage ?? ''}</dd>`
          : null
      }
    </dl>
    <h3>Attempts (${t.attempts.length}/${t.maxAttempts})</h3>
    <ol class="timeline" data-testid="attempts">
      ${t.attempts.map(
        (a) =>
          html`<li class=${`attempt o-${a.outcome}`}>
            <b>#${a.attempt}</b> <span class="mono">${a.agentId}</span> <${Badge} value=${a.outcome} />
            <span class="muted"
              >${fmtTime(a.startedAt)} → ${a.finishedAt ? fmtTime(a.finishedAt) : 'running'}${a.finishedAt ? ` (${a.finishedAt - a.startedAt} ms)` : ''}</span
            >
            ${a.error ? html`<div class="err">${a.error.code}: ${a.error.message}</div>` : null}
          </li>`,
      )}
    </ol>
    ${t.attempts.length === 0 ? html`<p class="muted">Not started yet.</p>` : null}
    <div class="panes">
      <div>
        <h3>Payload</h3>
        <${Json} value=${t.payload} />
      </div>
      <div>
        <h3>Result</h3>
        <${Json} value=${t.result} />
      </div>
      <div>
        <h3>Error</h3>
        <${Json} value=${t.error} />
      </div>
    </div>
  `;
}

/** Filters hold epoch milliseconds (the daemon's timestamps); the inputs show local time. */
const isoOf = (local) => (local ? String(new Date(local).getTime()) : '');
function localInput(ms) {
  if (!ms) return '';
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}
