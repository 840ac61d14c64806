import { randomFillSync } from 'node:crypto';

/** Makes unique ids; injected so tests can predict them. */
export type IdGenerator = () => string;

/** Random bytes drawn at once, for this many ids (crypto.randomUUID batches the same way). */
const IDS_PER_FILL = 256;
const random = Buffer.alloc(16 * IDS_PER_FILL);
let used = random.length;
/** The id being written; its dashes never move. */
const text = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
/** Where each of the 16 bytes' two hex digits go in `text`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The two ASCII hex digits of every byte value. */
const HEX = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0');
  HEX[2 * b] = digits.charCodeAt(0);
  HEX[2 * b + 1] = digits.charCodeAt(1);
}

/**
 * RFC 4122 v4 UUIDs from crypto-strength random bytes, as one flat string: one id per signal is
 * made on the daemon's hottest path, and crypto.randomUUID builds its string from twenty
 * concatenated pieces (about 600 bytes of garbage per id once optimised code keeps the result,
 * against about 56 here).
 */
export const uuid: IdGenerator = () => {
  if (used === random.length) {
    randomFillSync(random);
    used = 0;
  }
  const o = used;
  used += 16;
  for (let i = 0; i < 16; i++) {
    let b = random[o + i]!;
    if (i === 6)
      b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // variant 10xx
    const at = AT[i]!;
    text[at] = HEX[2 * b]!;
    text[at + 1] = HEX[2 * b + 1]!;
  }
  return text.toString('latin1', 0, 36);
};

/** Deterministic ids for tests and the simulation: `${prefix}-1`, `${prefix}-2`, ... */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
