import { useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { Badge, Bar, fmtMs, fmtNum, Notice, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';
import { isMissing } from '../rpc.js';

const STATES = ['', 'IDLE', 'ANALYZING', 'EXECUTING', 'DEGRADED', 'DRAINING'];

/** agent.list, or (older daemon) the ids from pool.isolationReport; joined with coordination.state. */
async function loadAgents(live, filter) {
  let agents;
  let reduced = false;
  try {
    const params = {};
    for (const k of ['state', 'capability', 'template', 'q']) if (filter[k]) params[k] = filter[k];
    if (filter.spawned) params.spawned = filter.spawned === 'yes';
    agents = (await live.rpc.call('agent.list', { ...params, limit: 500 })).agents;
  } catch (err) {
    if (!isMissing(err)) throw err;
    reduced = true;
    const report = await live.rpc.call('pool.isolationReport', {});
    agents = report.agents
      .map((a) => ({ agentId: a.agentId, contextWindowId: a.contextWindowId, spawned: a.pid !== undefined, capabilities: [], tags: [] }))
      .filter((a) => !filter.q || a.agentId.includes(filter.q));
  }
  const coord = new Map();
  if (live.can('coordination.state')) {
    const r = await live.rpc.call('coordination.state', { limit: 1000 }).catch(() => ({ agents: [] }));
    for (const a of r.agents) coord.set(a.agentId, a);
  }
  return { agents: agents.map((a) => ({ ...a, coord: coord.get(a.agentId) })), reduced };
}

export function Agents({ live, route, navigate }) {
  useLive(live);
  const filter = Object.fromEntries(['state', 'capability', 'template', 'spawned', 'q'].map((k) => [k, route.query.get(k) ?? '']));
  const query = useQuery(() => loadAgents(live, filter), [live.ticks.agents, JSON.stringify(filter)]);
  const [message, setMessage] = useState(undefined);
  const setFilter = (k, v) => {
    const q = new URLSearchParams(route.query);
    if (v) q.set(k, v);
    else q.delete(k);
    navigate(`#/agents?${q}`);
  };
  const act = async (method, params, done) => {
    try {
      await live.rpc.call(method, params);
      setMessage({ kind: 'ok', text: done });
      live.bump(['agents']);
    } catch (err) {
      setMessage({ kind: 'error', text: `${method}: ${err.message}` });
    }
  };
  const data = query.data;
  return html`
    <div class="toolbar">
      <label
        >State
        <select value=${filter.state} onChange=${(e) => setFilter('state', e.target.value)}>
          ${STATES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select></label
      >
      <label>Capability <input value=${filter.capability} onChange=${(e) => setFilter('capability', e.target.value.trim())} placeholder="e.g. code" /></label>
      <label>Template <input value=${filter.template} onChange=${(e) => setFilter('template', e.target.value.trim())} placeholder="e.g. echo" /></label>
      <label
        >Spawned
        <select value=${filter.spawned} onChange=${(e) => setFilter('spawned', e.target.value)}>
          <option value="">any</option>
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select></label
      >
      <label>Id contains <input value=${filter.q} onChange=${(e) => setFilter('q', e.target.value.trim())} /></label>
      ${live.can('pool.spawn') ? html`<${SpawnDialog} live=${live} onSpawn=${(template, count) => act('pool.spawn', { template, count }, `spawned ${count} from ${template}`)} />` : null}
    </div>
    ${message ? html`<${Notice} kind=${message.kind}>${message.text}<//>` : null}
    <${QueryError} query=${query} what="the agent list" />
    ${data?.reduced ? html`<${Notice} kind="warn">This daemon does not serve agent.list: cards show ids, context windows and signals only; drain and remove need a newer coordd.<//>` : null}
    <section class="cards" data-testid="agent-cards">
      ${data && data.agents.length === 0 ? html`<p class="muted">No agents match.</p>` : null}
      ${data?.agents.map((a) => html`<${AgentCard} key=${a.agentId} agent=${a} live=${live} act=${act} />`)}
    </section>
  `;
}

function AgentCard({ agent: a, live, act }) {
  const c = a.coord;
  const breaker = c?.circuitBreaker?.state ?? 'closed';
  const canDrain = live.can('agent.drain') && a.state !== undefined && a.state !== 'DRAINING';
  const canRemove = live.can('agent.remove') && a.state !== undefined;
  return html`
    <article class="card" data-agent-id=${a.agentId}>
      <header><b class="id">${a.agentId}</b> ${a.state ? html`<${Badge} value=${a.state} />` : null}</header>
      <div class="caps">
        ${a.capabilities.map((cap) => html`<span class="chip">${cap}</span>`)}${a.tags.map((t) => html`<span class="chip tag">${t}</span>`)}
      </div>
      ${a.capacity !== undefined ? html`<${Bar} value=${a.inFlight} max=${a.capacity} label=${`${a.inFlight}/${a.capacity} slots`} />` : null}
      <dl>
        <dt>Routing score</dt>
        <dd>${fmtNum(a.routingScore ?? c?.routingScore)}</dd>
        <dt>Heartbeat age</dt>
        <dd>${fmtMs(a.heartbeatAgeMs)}</dd>
        <dt>Overload</dt>
        <dd>
          ${c ? html`${c.overload.willOverload ? html`<b class="bad">predicted</b>` : 'no'} (load ${fmtNum(c.overload.predictedLoad)}, conf ${fmtNum(c.overload.confidence)})` : '—'}
        </dd>
        <dt>Breaker</dt>
        <dd><${Badge} value=${breaker} /></dd>
        <dt>Context</dt>
        <dd class="mono">${a.contextWindowId ?? '—'}</dd>
        <dt>Spawned</dt>
        <dd>${a.spawned ? `yes${a.template ? ` (${a.template})` : ''}` : 'no'}</dd>
      </dl>
      ${
        c && c.signals.length > 0
          ? html`<table class="signals">
              <tr>
                <th>signal</th>
                <th>value</th>
                <th>score</th>
              </tr>
              ${c.signals.map(
                (s) =>
                  html`<tr>
                    <td>${s.signalType}</td>
                    <td>${fmtNum(s.value)}</td>
                    <td>${fmtNum(c.scores[s.signalType])}</td>
                  </tr>`,
              )}
            </table>`
          : html`<p class="muted">No live signals.</p>`
      }
      ${
        canDrain || canRemove
          ? html`<footer>
              ${canDrain ? html`<button onClick=${() => act('agent.drain', { agentId: a.agentId }, `${a.agentId} draining`)}>Drain</button>` : null}
              ${canRemove ? html`<button class="danger" onClick=${() => confirm(`Remove ${a.agentId}? Its running tasks are requeued.`) && act('agent.remove', { agentId: a.agentId, force: true }, `${a.agentId} removed`)}>Remove</button>` : null}
            </footer>`
          : null
      }
    </article>
  `;
}

function SpawnDialog({ live, onSpawn }) {
  const dialog = useRef();
  const [template, setTemplate] = useState('echo');
  const [count, setCount] = useState(1);
  // The configured templates by name (older daemons without pool.templates: type a name).
  const [templates, setTemplates] = useState(undefined);
  const open = async () => {
    dialog.current.showModal();
    try {
      const r = await live.rpc.call('pool.templates', {});
      setTemplates(r.templates);
      if (r.templates.length > 0 && !r.templates.some((t) => t.name === template)) setTemplate(r.templates[0].name);
    } catch {
      setTemplates(undefined);
    }
  };
  return html`
    <button onClick=${open}>Spawn…</button>
    <dialog ref=${dialog}>
      <form
        onSubmit=${(e) => {
          e.preventDefault();
          dialog.current.close();
          onSpawn(template, Number(count));
        }}
      >
        <h3>Spawn workers</h3>
        <p class="muted">From a template in the daemon's configuration (COORDD_AGENT_TEMPLATES; <code>echo</code> is built in).</p>
        ${
          templates
            ? html`<label
                >Template
                <select value=${template} onChange=${(e) => setTemplate(e.target.value)}>
                  ${templates.map((t) => html`<option value=${t.name}>${t.name}${t.builtIn ? ' (built in)' : ''} — ${t.running} running</option>`)}
                </select></label
              >`
            : html`<label>Template <input value=${template} required onInput=${(e) => setTemplate(e.target.value)} /></label>`
        }
        <label>Count <input type="number" min="1" max="256" value=${count} onInput=${(e) => setCount(e.target.value)} /></label>
        <menu><button type="button" onClick=${() => dialog.current.close()}>Cancel</button><button type="submit">Spawn</button></menu>
      </form>
    </dialog>
  `;
}
