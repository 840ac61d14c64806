import { once } from 'node:events';
import type { CoordClient } from '../../src/client/index.js';

/** Reconnect backoff for unit tests on a VirtualClock: short, no jitter. */
export const FAST_RECONNECT = { initialDelayMs: 5, maxDelayMs: 20, factor: 2, jitter: 0 };

/** The next `reconnecting` event's info; the reconnect timer is armed by the time it resolves. */
export const reconnecting = (client: CoordClient) => once(client, 'reconnecting').then(([info]) => info);

/** What `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
