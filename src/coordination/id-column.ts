/** Bytes per stored UUID. */
const BYTES = 16;
/** Offsets of the 32 hex digits in a canonical UUID string (8-4-4-4-12). */
const DIGIT_AT = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
/** Value of a lowercase hex digit by char code; -1 for anything else (so uppercase is not a match). */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
const HEX = '0123456789abcdef';

/**
 * A column of ids (one per slot) that keeps UUIDs as 16 bytes in a typed array instead of as
 * strings on the heap. Every stored signal's id lives until the agent's next signal of that type,
 * seconds at least: as a string it survived every young-generation GC in between (copied each
 * time, then promoted to the old generation, whose growth sets off major GCs). As bytes outside the
 * heap the GC never sees it; the string is rebuilt only when a state() call asks for it.
 * Anything not in canonical lowercase UUID form (the sequential ids tests inject) is kept as the
 * string itself, so every id reads back exactly as it was stored.
 */
export class IdColumn {
  private bytes: Uint8Array;
  /** Per slot: 1 when the slot holds a UUID in `bytes`. */
  private isUuid: Uint8Array;
  /** Ids that are not canonical UUIDs, by slot. */
  private readonly others = new Map<number, string>();

  constructor(slots: number) {
    this.bytes = new Uint8Array(slots * BYTES);
    this.isUuid = new Uint8Array(slots);
  }

  /** Number of slots. */
  get slots(): number {
    return this.isUuid.length;
  }

  /** Grow to `slots` slots (never shrinks), keeping what is stored. */
  grow(slots: number): void {
    if (slots <= this.isUuid.length) return;
    const bytes = new Uint8Array(slots * BYTES);
    bytes.set(this.bytes);
    const isUuid = new Uint8Array(slots);
    isUuid.set(this.isUuid);
    this.bytes = bytes;
    this.isUuid = isUuid;
  }

  /** Store `id` at `slot`, replacing what was there. */
  set(slot: number, id: string): void {
    if (this.isUuid[slot] === 0 && this.others.size > 0) this.others.delete(slot);
    if (id.length === 36 && this.pack(slot, id)) {
      this.isUuid[slot] = 1;
      return;
    }
    this.isUuid[slot] = 0;
    this.others.set(slot, id);
  }

  /** The id at `slot`, or undefined when the slot is empty. */
  get(slot: number): string | undefined {
    if (this.isUuid[slot] === 0) return this.others.get(slot);
    const o = slot * BYTES;
    let s = '';
    for (let i = 0; i < BYTES; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      const b = this.bytes[o + i]!;
      s += HEX[b >> 4]! + HEX[b & 15]!;
    }
    return s;
  }

  /** Empty a slot. */
  clear(slot: number): void {
    this.isUuid[slot] = 0;
    if (this.others.size > 0) this.others.delete(slot);
  }

  /** Write the 16 bytes of a canonical lowercase UUID; false (slot untouched) for anything else. */
  private pack(slot: number, id: string): boolean {
    if (id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
    for (let i = 0; i < 32; i++) {
      const c = id.charCodeAt(DIGIT_AT[i]!);
      if (c >= 128 || NIBBLE[c]! < 0) return false;
    }
    const o = slot * BYTES;
    for (let i = 0; i < BYTES; i++) {
      this.bytes[o + i] = (NIBBLE[id.charCodeAt(DIGIT_AT[2 * i]!)]! << 4) | NIBBLE[id.charCodeAt(DIGIT_AT[2 * i + 1]!)]!;
    }
    return true;
  }
}
