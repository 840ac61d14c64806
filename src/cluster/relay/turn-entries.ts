import { pushFrame, type EntryKind } from './relay-streams.js';

/**
 * One side's outgoing frames of the current turn: one entry (its XADD fields) per key, a term on
 * a gateway, a gateway on the leader. The first frame schedules one write at the end of the turn
 * (setImmediate), so a burst of frames costs one round trip.
 */
export class TurnEntries<K> {
  private entries = new Map<K, string[]>();
  private frames = 0;
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  /**
   * @param head the XADD fields a key's entry starts with
   * @param write sends a turn's entries (never empty) and says how many frames they hold
   */
  constructor(
    private readonly head: (key: K) => string[],
    private readonly write: (entries: Map<K, string[]>, frames: number) => void,
  ) {}

  /** Append one frame to `key`'s entry of this turn. */
  push(key: K, k: EntryKind, connId: string, d?: string, i?: string): void {
    let fields = this.entries.get(key);
    if (!fields) this.entries.set(key, (fields = this.head(key)));
    pushFrame(fields, k, connId, d, i);
    this.frames++;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }

  /** Forget `key`'s frames not written yet. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Write what the turn holds now (the scheduled write then finds nothing). */
  flush(): void {
    this.scheduled = false;
    if (this.entries.size === 0) return;
    const entries = this.entries;
    const frames = this.frames;
    this.entries = new Map();
    this.frames = 0;
    this.write(entries, frames);
  }
}
