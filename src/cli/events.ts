import type { CoordClient } from '../client/client.js';
import type { z } from 'zod';
import type { MethodParams } from '../client/method-types.js';
import type { EventNotification } from '../schemas/events.js';

/** One `events.event` notification. */
export type PoolEvent = z.infer<typeof EventNotification>;

/** Subscribe to the pool's event stream (events.subscribe) and hand every `events.event` to `onEvent`. */
export async function subscribeEvents(
  client: CoordClient,
  params: MethodParams<'events.subscribe'>,
  onEvent: (event: PoolEvent) => void,
): Promise<{ subscriptionId: string; seq: number }> {
  let subscriptionId: string | undefined;
  const early: PoolEvent[] = [];
  client.handle('events.event', (raw) => {
    const event = raw as PoolEvent;
    if (subscriptionId === undefined) early.push(event);
    else if (event.subscriptionId === subscriptionId) onEvent(event);
  });
  const reply = await client.request('events.subscribe', params);
  subscriptionId = reply.subscriptionId;
  // Events sent before the reply was read belong to this subscription too (seq after the snapshot's).
  for (const event of early) if (event.subscriptionId === subscriptionId) onEvent(event);
  return { subscriptionId, seq: reply.seq };
}

/** One event as a line for people: time, type, subject, the change, and a few telling fields. */
export function eventLine(event: PoolEvent): string {
  const data = event.data as Record<string, unknown>;
  const subject = [data.taskId, data.agentId ?? data.alert].filter((v) => typeof v === 'string').join(' ');
  const state = typeof data.state === 'string' ? data.state : '';
  const change = state && typeof data.previous === 'string' ? `${data.previous} -> ${state}` : state;
  const details = [
    typeof data.type === 'string' ? `type=${data.type}` : '',
    typeof data.attempt === 'number' && data.attempt > 0 ? `attempt=${data.attempt}` : '',
    typeof data.reason === 'string' ? `reason=${data.reason}` : '',
    typeof data.message === 'string' ? data.message : '',
    (data.error as { message?: string } | undefined)?.message ? `error=${(data.error as { message: string }).message}` : '',
  ].filter(Boolean);
  return [new Date(event.at).toISOString().slice(11, 23), event.type.padEnd(13), subject, change, ...details].filter(Boolean).join('  ');
}
