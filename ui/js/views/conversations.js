import { html } from '../html.js';
import { fmtTime, Json, QueryError } from '../components.js';
import { useLive, useQuery } from '../hooks.js';

export function Conversations({ live, route }) {
  useLive(live);
  const list = useQuery(() => live.rpc.call('conversation.list', { limit: 100 }), [live.ticks.pool]);
  const id = route.arg;
  const one = useQuery(() => (id ? live.rpc.call('conversation.get', { conversationId: id }) : undefined), [id, live.ticks.pool]);
  return html`
    <div class="split">
      <div>
        <${QueryError} query=${list} what="conversations" />
        ${list.data ? html`<p class="muted">${list.data.total} live conversations</p>` : null}
        <ul class="list">
          ${list.data?.conversations.map(
            (c) =>
              html`<li class=${c.conversationId === id ? 'sel' : ''}>
                <a class="mono" href=${`#/conversations/${encodeURIComponent(c.conversationId)}`}>${c.conversationId}</a> ${c.messageCount} msgs,
                ${fmtTime(c.updatedAt)}
              </li>`,
          )}
        </ul>
      </div>
      <div>
        <${QueryError} query=${one} what=${`conversation ${id}`} />
        ${
          one.data
            ? html`<h3 class="mono">${one.data.conversationId}</h3>
                <p class="muted">agents: ${one.data.agents.join(', ') || '—'}; ${one.data.droppedMessages} dropped</p>
                <ol class="messages">
                  ${one.data.messages.map((m) => html`<li class=${`m-${m.role}`}><b>${m.role}${m.agentId ? ` ${m.agentId}` : ''}</b> <span class="muted">${fmtTime(m.timestamp)}</span><${Json} value=${m.message} /></li>`)}
                </ol>`
            : html`<p class="muted">Pick a conversation.</p>`
        }
      </div>
    </div>
  `;
}
