import { randomUUID } from 'node:crypto';

/** Makes unique ids; injected so tests can predict them. */
export type IdGenerator = () => string;

/** RFC 4122 v4 UUIDs. */
export const uuid: IdGenerator = () => randomUUID();

/** Deterministic ids for tests and the simulation: `${prefix}-1`, `${prefix}-2`, ... */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
