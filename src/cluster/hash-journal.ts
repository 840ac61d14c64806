/** One Redis hash's pending changes since the last commit: fields to set and fields to delete. */
export class HashJournal {
  private readonly sets = new Map<string, string>();
  private readonly dels = new Set<string>();

  set(field: string, value: string): void {
    this.dels.delete(field);
    this.sets.set(field, value);
  }

  delete(field: string): void {
    this.sets.delete(field);
    this.dels.add(field);
  }

  get size(): number {
    return this.sets.size + this.dels.size;
  }

  /** The commit script's section for this hash: `nSet, nDel, field, value, …, field, …`; the journal is empty afterwards. */
  drain(): string[] {
    const out = [String(this.sets.size), String(this.dels.size)];
    for (const [field, value] of this.sets) out.push(field, value);
    for (const field of this.dels) out.push(field);
    this.sets.clear();
    this.dels.clear();
    return out;
  }
}

/** Every field and value of a Redis hash as a Map (the loader's shape). */
export type HashContents = Map<string, string>;
