import type { Random } from '../random.js';

/**
 * Delay before retry number `failures` (1 after the first failure): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so retries of many tasks
 * that failed together do not come back together.
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number, random: Random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random.next() * (exp / 2));
}
