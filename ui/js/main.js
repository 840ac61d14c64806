import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { Notice } from './components.js';
import { useLive } from './hooks.js';
import { Live } from './live.js';
import { isMissing, Rpc, rpcUrl } from './rpc.js';
import { Overview } from './views/overview.js';
import { Agents } from './views/agents.js';
import { Tasks } from './views/tasks.js';
import { Alerts } from './views/alerts.js';
import { Leases } from './views/leases.js';
import { Conversations } from './views/conversations.js';
import { Routing } from './views/routing.js';

const VIEWS = [
  { id: 'overview', title: 'Overview', needs: 'pool.status', View: Overview },
  { id: 'agents', title: 'Agents', needs: ['agent.list', 'pool.isolationReport'], View: Agents },
  { id: 'tasks', title: 'Tasks', needs: 'task.list', View: Tasks },
  { id: 'alerts', title: 'Alerts', needs: 'coordination.alerts', View: Alerts },
  { id: 'leases', title: 'Leases & conflicts', needs: 'resource.list', View: Leases },
  { id: 'conversations', title: 'Conversations', needs: 'conversation.list', View: Conversations },
  { id: 'routing', title: 'Routing', needs: 'coordination.metrics', View: Routing },
];
const TOKEN_KEY = 'coordd.token';

/** `#/tasks/abc?state=FAILED` -> {view: 'tasks', arg: 'abc', query}. */
function parseRoute(hash) {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view = '', ...rest] = path.split('/');
  return { view: view || 'overview', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined, query: new URLSearchParams(search) };
}

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

const navigate = (hash) => {
  location.hash = hash;
};

function App({ live, onLogout }) {
  useLive(live);
  const route = useRoute();
  const [closed, setClosed] = useState(false);
  useEffect(() => {
    live.rpc.onclose = () => setClosed(true);
  }, [live]);
  const views = VIEWS.filter((v) => [v.needs].flat().some((m) => live.can(m)));
  const current = views.find((v) => v.id === route.view) ?? views[0];
  const readOnly = !live.can('task.cancel');
  return html`
    <header class="top">
      <h1>coordd</h1>
      <nav>${views.map((v) => html`<a href=${`#/${v.id}`} class=${v === current ? 'active' : ''}>${v.title}</a>`)}</nav>
      <span class="spacer"></span>
      <span class="role" data-testid="role">${live.session.role ?? 'unknown role'}${readOnly ? ' (read-only)' : ''}</span>
      <span class=${live.streaming ? 'live on' : 'live'}>${live.paused ? 'paused' : live.streaming ? 'live' : 'polling'}</span>
      <button data-testid="pause" onClick=${() => live.setPaused(!live.paused)}>${live.paused ? 'Resume' : 'Pause'}</button>
      ${live.session.token ? html`<button onClick=${onLogout}>Log out</button>` : null}
    </header>
    <main>
      ${closed ? html`<${Notice} kind="error">The connection to the daemon closed. <button onClick=${() => location.reload()}>Reconnect</button><//>` : null}
      ${live.notice ? html`<${Notice}>${live.notice}<//>` : null}
      ${live.session.noInfo ? html`<${Notice} kind="warn">This daemon does not serve session.info: every action is shown, and the daemon refuses those this token may not use.<//>` : null}
      ${current ? html`<${current.View} key=${current.id} live=${live} route=${route} navigate=${navigate} />` : html`<${Notice} kind="warn">This token's role may not read anything the dashboard shows.<//>`}
    </main>
  `;
}

function Login({ error, onLogin }) {
  const [token, setToken] = useState('');
  return html`<form class="login" onSubmit=${(e) => (e.preventDefault(), onLogin(token.trim()))}>
    <h1>coordd</h1>
    <p>This daemon asks for a token.</p>
    ${error ? html`<${Notice} kind="error">${error}<//>` : null}
    <label>Token <input type="password" autocomplete="current-password" value=${token} onInput=${(e) => setToken(e.target.value)} autofocus /></label>
    <button type="submit">Log in</button>
  </form>`;
}

async function connect(token) {
  const rpc = new Rpc(rpcUrl(location));
  await rpc.open(token);
  let session;
  try {
    session = await rpc.call('session.info', {});
  } catch (err) {
    if (!isMissing(err)) throw err;
    session = { role: undefined, methods: undefined, noInfo: true };
  }
  const live = new Live(rpc, { ...session, token });
  await live.start();
  return live;
}

async function boot(root, error) {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  try {
    const live = await connect(token);
    const logout = () => {
      sessionStorage.removeItem(TOKEN_KEY);
      live.rpc.close();
      clearInterval(live.timer);
      boot(root);
    };
    render(html`<${App} live=${live} onLogout=${logout} />`, root);
  } catch (err) {
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    const onLogin = (t) => {
      if (!t) return;
      sessionStorage.setItem(TOKEN_KEY, t);
      boot(root, 'That token was refused.');
    };
    render(html`<${Login} error=${token ? (error ?? err.message) : undefined} onLogin=${onLogin} />`, root);
  }
}

const root = document.getElementById('app');
root.textContent = '';
boot(root);
