/**
 * A least-recently-used map bounded by a budget of sizes (bytes, or any unit the caller
 * counts in), for the ranking's memos and its interest cache. A Map keeps its keys in
 * insertion order, so moving a key to the end on every hit makes its first key the least
 * recently used. It replaces lru-cache there: that library handles per call options
 * (staleness, TTLs, fetches) these caches never use, and its get and set were about a tenth
 * of ranking a subscriber with interests nobody asked for before (a few dozen calls each:
 * the interests, their queries, spellings and units, the reasons' verdicts). Same policy:
 * an entry larger than the whole budget is not kept, and a new one evicts the least
 * recently used until it fits.
 */

interface Entry<V> {
  value: V;
  size: number;
}

export class SizedLru<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private total = 0;

  /** `onEvict` is told of every value pushed out to make room (not of those deleted or replaced). */
  constructor(
    readonly maxSize: number,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Now the most recently used: last in the Map's order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` as the most recently used, unless `size` exceeds the whole budget. */
  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.maxSize) return;
    while (this.total + size > this.maxSize) {
      const oldest = this.entries.keys().next().value as string;
      const entry = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      this.total -= entry.size;
      this.onEvict?.(entry.value);
    }
    this.entries.set(key, { value, size });
    this.total += size;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The sum of the sizes held. */
  get calculatedSize(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
