import type { CoordClient } from '../client/client.js';
import { callContract, type PoolEvent } from './operator-contract.js';

/** Subscribe to the pool's event stream (events.subscribe) and hand every `events.event` to `onEvent`. */
export async function subscribeEvents(client: CoordClient, params: { types?: string[]; agentId?: string; taskType?: string }, onEvent: (event: PoolEvent) => void): Promise<{ subscriptionId: string; seq: number }> {
  let subscriptionId: string | undefined;
  const early: PoolEvent[] = [];
  client.handle('events.event', (raw) => {
    const event = raw as PoolEvent;
    if (subscriptionId === undefined) early.push(event);
    else if (event.subscriptionId === subscriptionId) onEvent(event);
  });
  const reply = await callContract(client, 'events.subscribe', params);
  subscriptionId = reply.subscriptionId;
  // Events sent before the reply was read belong to this subscription too (seq after the snapshot's).
  for (const event of early) if (event.subscriptionId === subscriptionId) onEvent(event);
  return { subscriptionId, seq: reply.seq };
}

/** One event as a line for people: time, type, then the fields that say what changed. */
export function eventLine(event: PoolEvent): string {
  const { taskId, agentId, state, previous, ...rest } = event.data ?? {};
  const subject = [taskId, agentId].filter((v) => typeof v === 'string').join(' ');
  const change = typeof state === 'string' ? (typeof previous === 'string' ? `${previous} -> ${state}` : state) : '';
  const extra = Object.keys(rest).length ? JSON.stringify(rest) : '';
  return [new Date(event.at).toISOString().slice(11, 23), event.type.padEnd(13), subject, change, extra].filter(Boolean).join('  ');
}
