/** Entries grouped by a key (agent or session), so everything one owner has can be found at once. */
export class OwnerIndex<T> {
  private readonly map = new Map<string, Set<T>>();

  add(key: string, entry: T): void {
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    set.add(entry);
  }

  delete(key: string, entry: T): void {
    const set = this.map.get(key);
    if (!set) return;
    set.delete(entry);
    if (set.size === 0) this.map.delete(key);
  }

  count(key: string): number {
    return this.map.get(key)?.size ?? 0;
  }

  /** A copy of the owner's entries (safe to iterate while ending them). */
  entries(key: string): T[] {
    return [...(this.map.get(key) ?? [])];
  }
}
