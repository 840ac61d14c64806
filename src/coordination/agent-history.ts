import { SIGNAL_COUNT } from './signal-index.js';
import type { StoredSignal } from './types.js';

/** What history keeps of a signal: the numbers trend prediction and expiry need. */
export type HistoryEntry = Pick<StoredSignal, 'value' | 'confidence' | 'timestamp' | 'expiresAt'>;

/** Numbers per entry, each in its own region of the buffer: expiresAt, value, timestamp, confidence. */
const FIELDS = 4;
const EXPIRES_AT = 0;
const VALUE = 1;
const TIMESTAMP = 2;
const CONFIDENCE = 3;
/** data starts with a header: head of type t at [t], count of type t at [SIGNAL_COUNT + t]. */
const HEADER = SIGNAL_COUNT * 2;
/** Slots per type allocated for a new history; doubled as needed up to the capacity. */
const INITIAL_SLOTS = 4;

/**
 * One agent's bounded history for every signal type: per type a FIFO ring in arrival order (push
 * at the back, dropping the oldest beyond `capacity`; drop expired entries from the front).
 *
 * Entries are numbers only, in one Float64Array that also holds the rings' heads and counts: no
 * object per entry, and a buffer this size lives outside the V8 heap, so a full history (100 per
 * type by default, 19 KB per agent) costs the garbage collector nothing to trace or copy, and a
 * sweep touches one buffer per agent. Each field has its own region and the rings are interleaved
 * slot-major within it (field f of slot i of type t at HEADER + (f·slots + i)·6 + t), so trimming
 * scans only expiry times, and an agent that sends every type at one cadence expires neighbouring
 * entries together. Slots grow lazily (doubling, for all types at once): an agent that sends one
 * signal per type pays for a few slots, and at most 6 × the longest ring when types arrive at
 * very different rates.
 */
export class AgentHistory {
  private slots = 0;
  /** HEADER, then the entries; one buffer so a sweep touches one object per agent. */
  private data = new Float64Array(HEADER);
  /** Entries across all types. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Entries of one type. */
  size(type: number): number {
    return this.data[SIGNAL_COUNT + type]!;
  }

  /**
   * Append a signal of a type, first dropping that type's expired entries from the front (so an
   * active agent's history is trimmed as it goes and sweeps find little to do). Returns whether
   * the oldest entry had to be dropped to make room.
   */
  push(type: number, signal: HistoryEntry): boolean {
    return this.append(type, signal.value, signal.confidence, signal.timestamp, signal.expiresAt);
  }

  /** push() from the numbers themselves (the store's hot path keeps no entry object). */
  append(type: number, value: number, confidence: number, timestamp: number, expiresAt: number): boolean {
    if (this.data[SIGNAL_COUNT + type]! > 0) this.dropExpiredOf(type, timestamp);
    const count = this.data[SIGNAL_COUNT + type]!;
    if (count === this.slots && this.slots < this.capacity) this.grow();
    const slots = this.slots;
    const d = this.data;
    const head = d[type]!;
    let slot: number;
    if (count < slots) {
      slot = head + count;
      if (slot >= slots) slot -= slots;
      d[SIGNAL_COUNT + type] = count + 1;
      this.total++;
    } else {
      slot = head;
      d[type] = head + 1 === slots ? 0 : head + 1;
    }
    const j = HEADER + slot * SIGNAL_COUNT + type;
    const region = slots * SIGNAL_COUNT;
    d[j + EXPIRES_AT * region] = expiresAt;
    d[j + VALUE * region] = value;
    d[j + TIMESTAMP * region] = timestamp;
    d[j + CONFIDENCE * region] = confidence;
    return count === slots;
  }

  /** Expiry of the oldest entry of a type; Infinity when there is none. */
  frontExpiry(type: number): number {
    return this.data[SIGNAL_COUNT + type] === 0 ? Number.POSITIVE_INFINITY : this.data[this.offset(EXPIRES_AT, type, 0)]!;
  }

  /**
   * Drop entries of every type from the front while they have expired at `now`; returns how many.
   * An entry with a long ttl shields younger, shorter-lived ones behind it until it expires itself;
   * readers filter by expiresAt, so that costs only memory, never a wrong answer.
   */
  dropExpired(now: number): number {
    let dropped = 0;
    const d = this.data;
    for (let type = 0; type < SIGNAL_COUNT; type++) if (d[SIGNAL_COUNT + type]! > 0) dropped += this.dropExpiredOf(type, now);
    return dropped;
  }

  /** expiresAt of the i-th entry of a type in arrival order (0 = oldest); i must be < size(type). */
  expiresAt(type: number, i: number): number {
    return this.data[this.offset(EXPIRES_AT, type, i)]!;
  }

  /** value of the i-th entry of a type. */
  value(type: number, i: number): number {
    return this.data[this.offset(VALUE, type, i)]!;
  }

  /** timestamp of the i-th entry of a type. */
  timestamp(type: number, i: number): number {
    return this.data[this.offset(TIMESTAMP, type, i)]!;
  }

  /** The i-th entry of a type as an object, or undefined past the end. */
  at(type: number, i: number): HistoryEntry | undefined {
    if (i < 0 || i >= this.size(type)) return undefined;
    const d = this.data;
    return {
      value: d[this.offset(VALUE, type, i)]!,
      confidence: d[this.offset(CONFIDENCE, type, i)]!,
      timestamp: d[this.offset(TIMESTAMP, type, i)]!,
      expiresAt: d[this.offset(EXPIRES_AT, type, i)]!,
    };
  }

  /** Entries of a type, oldest first, as a new array. */
  toArray(type: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = 0; i < this.size(type); i++) out.push(this.at(type, i)!);
    return out;
  }

  /** Index of field `field` of the i-th entry of a type. */
  private offset(field: number, type: number, i: number): number {
    let slot = this.data[type]! + i;
    if (slot >= this.slots) slot -= this.slots;
    return HEADER + (field * this.slots + slot) * SIGNAL_COUNT + type;
  }

  private dropExpiredOf(type: number, now: number): number {
    const { slots, data } = this;
    const count = data[SIGNAL_COUNT + type]!;
    let slot = data[type]!;
    let n = 0;
    while (n < count && now >= data[HEADER + slot * SIGNAL_COUNT + type]!) {
      n++;
      if (++slot === slots) slot = 0;
    }
    if (n === 0) return 0;
    data[SIGNAL_COUNT + type] = count - n;
    data[type] = count === n ? 0 : slot;
    this.total -= n;
    return n;
  }

  /** Double the slots per type (up to capacity), moving every ring to the start of its region. */
  private grow(): void {
    const slots = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.slots * 2));
    const data = new Float64Array(HEADER + slots * SIGNAL_COUNT * FIELDS);
    for (let type = 0; type < SIGNAL_COUNT; type++) {
      const count = this.size(type);
      for (let i = 0; i < count; i++) {
        for (let f = 0; f < FIELDS; f++) data[HEADER + (f * slots + i) * SIGNAL_COUNT + type] = this.data[this.offset(f, type, i)]!;
      }
      data[SIGNAL_COUNT + type] = count; // heads stay 0: every ring now starts at slot 0
    }
    this.data = data;
    this.slots = slots;
  }
}
