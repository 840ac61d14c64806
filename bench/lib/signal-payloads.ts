import { SIGNAL_TYPES } from '../../src/schemas/common.js';

/** A small seeded PRNG (mulberry32): the same payloads on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const agentId = (n: number): string => `bench-agent-${n.toString().padStart(5, '0')}`;

/** One random signal as a JSON object text: a random agent out of `agents`, any type, value in [0,1]. */
function signalJson(rand: () => number, agents: number): string {
  const type = SIGNAL_TYPES[Math.floor(rand() * SIGNAL_TYPES.length)]!;
  const value = Math.round(rand() * 10_000) / 10_000;
  return `{"agentId":"${agentId(Math.floor(rand() * agents))}","signalType":"${type}","value":${value}}`;
}

/**
 * Pre-rendered `params` texts, so the load generator spends its time on the wire and not in
 * JSON.stringify. A request is then `PREFIX + id + MIDDLE + params + '}'`.
 */
export const REQUEST_PREFIX = '{"jsonrpc":"2.0","id":';
export const REQUEST_MIDDLE = ',"method":"coordination.signal","params":';

export function singleParams(count: number, agents: number, seed: number): string[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => signalJson(rand, agents));
}

export function batchParams(count: number, batchSize: number, agents: number, seed: number): string[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const parts = new Array<string>(batchSize);
    for (let i = 0; i < batchSize; i++) parts[i] = signalJson(rand, agents);
    return `{"signals":[${parts.join(',')}]}`;
  });
}

export function requestText(id: number, params: string): string {
  return `${REQUEST_PREFIX}${id}${REQUEST_MIDDLE}${params}}`;
}
