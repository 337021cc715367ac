/**
 * The cache of interest score vectors, one per isolate and shared by the editions it
 * holds (the sender keeps up to three small ones), bounded in bytes rather than entries: a vector is
 * 5 bytes per candidate paper, so the same entry count would mean 1.5 MB at 300
 * candidates and 50 MB at 10,000. Least recently used vectors go first, whichever edition
 * they belong to, so an edition that is no longer sent gives its room (and its buffers)
 * to the next one, and three editions take 8 MB, not 24. A miss only costs recomputing
 * one interest (well under a millisecond), so the budget can be small next to the isolate:
 * 8 MB holds ~535 interests at 3,000 candidates, and an edition past 3,000 keeps it within
 * less (`editionBudget`: 2.4 MB, ~45 interests, at 10,000, whose index takes the room).
 * lru-cache does the bookkeeping; each edition sees the cache through its own key space
 * (`EditionCache`).
 */
import { LRUCache } from 'lru-cache';

/** What one interest contributes to every paper of the edition. */
export interface InterestScores {
  /** Relevance per doc on an absolute scale: about 1 = squarely on topic, 0 = unrelated. */
  scores: Float32Array;
  /** Per doc, the strongest evidence: see EVIDENCE. */
  evidence: Uint8Array;
  /**
   * For an interest with several readings ("image & video editing"): the readings, and
   * per doc which one the phrase evidence came from, so a reason names what occurs.
   */
  readings: string[];
  reading: Uint8Array | null;
  /** Reasons already checked against docs with this interest, made on first use (see `Verdicts`). */
  verdicts: Verdicts | null;
}

/**
 * Whether a reason holds for a paper, remembered with the interest it is about: subscribers
 * who share an interest get the same papers with it, and checking it again for each of
 * them was most of a cached subscriber's ranking at a few hundred candidates. Per doc
 * listed (at most VERDICT_DOCS, the first ones asked about), bits of VERDICT: which
 * reasons were checked and which hold. Kept per edition by doc, text and kind, these
 * were a memo of their own whose string keys cost a new interest's ranking a few percent.
 */
export interface Verdicts {
  /** Plain arrays: typed ones this small would each take a backing store outside the heap. */
  docs: number[];
  bits: number[];
}

export const VERDICT_DOCS = 32;
/** A reason's bit when checked; the next bit up says it holds. */
export const VERDICT = { phrase: 1, words: 4 } as const;

/** How a paper relates to an interest, for a truthful "why" line. */
export const EVIDENCE = {
  none: 0,
  /** Only through terms learned from similar papers (pseudo-relevance feedback). */
  related: 1,
  /** Some of the interest's words, not as a phrase. */
  words: 2,
  /** The interest itself, or a listed synonym or acronym of it, occurs in the paper. */
  phrase: 3,
} as const;

/**
 * Candidates up to which an edition's caches (interest vectors, memos, filled cards) get
 * their whole budget. Past it the index and the papers grow with every candidate (ready to
 * send: 14 MB at 3,000, 41 MB at 10,000, `npm run bench:memory`), and the caches give up
 * room in proportion, so that a weekly edition of 10,000 stays within the isolate's
 * budget: they hold fewer entries, and a miss costs only the finding again.
 */
export const FULL_BUDGET_CANDIDATES = 3_000;

/** `budget` for an edition of `candidates`: whole up to FULL_BUDGET_CANDIDATES, then shrinking in proportion. */
export function editionBudget(budget: number, candidates: number): number {
  if (candidates <= FULL_BUDGET_CANDIDATES) return budget;
  return Math.floor((budget * FULL_BUDGET_CANDIDATES) / candidates);
}

export const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024;

/** What an interest's verdicts may take: their arrays and objects. */
const VERDICT_BYTES = VERDICT_DOCS * 16 + 64;

/** An entry's bytes, with room for its verdicts whether or not they are made yet. */
const sizeOf = (value: InterestScores, key: string) =>
  value.scores.byteLength +
  value.evidence.byteLength +
  (value.reading?.byteLength ?? 0) +
  VERDICT_BYTES +
  key.length * 2 +
  64;

/** Evicted buffers kept for reuse: enough for the interests of a few subscribers. */
const SPARE_BUFFERS = 16;

class InterestCache {
  private readonly lru: LRUCache<string, InterestScores>;
  /** Buffers of vectors evicted since the last `recycle()`: the ranking in progress may still read them. */
  private retired: ArrayBuffer[] = [];
  /** Buffers no one reads any more, for the next vectors. */
  private spare: ArrayBuffer[] = [];

  constructor(readonly maxBytes: number = DEFAULT_CACHE_BYTES) {
    this.lru = new LRUCache<string, InterestScores>({
      maxSize: maxBytes,
      sizeCalculation: sizeOf,
      dispose: (value, _key, reason) => {
        if (reason === 'evict' && this.retired.length < SPARE_BUFFERS)
          this.retired.push(value.scores.buffer as ArrayBuffer);
      },
    });
  }

  /**
   * Called when no ranking is in progress (the start of the next one): what was evicted
   * before may be handed out again. Once the cache is full, every new interest evicts one,
   * and a fresh buffer outside the heap per interest (15 kB at 3,000 candidates) cost
   * ~50 µs on our machines, its pages faulted in anew; a reused one costs a memset.
   */
  recycle(): void {
    if (this.retired.length === 0) return;
    // The latest first: older spares may be of another edition's size, never asked for again.
    this.spare.push(...this.retired);
    this.retired = [];
    if (this.spare.length > SPARE_BUFFERS) this.spare.splice(0, this.spare.length - SPARE_BUFFERS);
  }

  /** A zeroed buffer of `bytes`: an evicted one when one fits exactly, else a new one. */
  buffer(bytes: number): ArrayBuffer {
    for (let k = this.spare.length - 1; k >= 0; k--) {
      const buffer = this.spare[k]!;
      if (buffer.byteLength !== bytes) continue;
      this.spare[k] = this.spare[this.spare.length - 1]!;
      this.spare.pop();
      new Uint8Array(buffer).fill(0);
      return buffer;
    }
    return new ArrayBuffer(bytes);
  }

  get(key: string): InterestScores | undefined {
    return this.lru.get(key);
  }

  /**
   * Keeps `value`, then evicts least recently used vectors (of any edition) until the cache
   * is within `budget`, at most its own: a large edition's (`editionBudget`) while it is sent.
   */
  set(key: string, value: InterestScores, budget: number = this.maxBytes): void {
    // A vector bigger than the whole budget is simply not kept.
    if (sizeOf(value, key) > budget) return;
    this.lru.set(key, value);
    while (this.lru.calculatedSize > budget && this.lru.size > 1) this.lru.pop();
  }

  /** Drops every vector whose key starts with `prefix`: their buffers are not kept for reuse. */
  forget(prefix: string): void {
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get size(): number {
    return this.lru.size;
  }
}

/** The isolate's cache, shared by every edition index that is not given a budget of its own. */
const shared = new InterestCache();
let nextEdition = 0;

/**
 * One edition's view of an interest cache: its own keys (an edition's vectors mean
 * nothing for another's papers), with the buffers, the byte count and the entry count of
 * the cache behind it.
 */
export class EditionCache {
  private readonly prefix = `${nextEdition++}\u0000`;
  private readonly cache: InterestCache;
  /** The bytes the cache may hold while this edition adds to it. */
  readonly budget: number;

  /**
   * `maxBytes`: a cache of its own with that budget (tests); otherwise the isolate's, within
   * less room for an edition of many `candidates` (`editionBudget`).
   */
  constructor(maxBytes?: number, candidates = 0) {
    this.cache = maxBytes === undefined ? shared : new InterestCache(maxBytes);
    this.budget = maxBytes ?? editionBudget(this.cache.maxBytes, candidates);
  }

  get(key: string): InterestScores | undefined {
    return this.cache.get(this.prefix + key);
  }

  set(key: string, value: InterestScores): void {
    this.cache.set(this.prefix + key, value, this.budget);
  }

  recycle(): void {
    this.cache.recycle();
  }

  buffer(bytes: number): ArrayBuffer {
    return this.cache.buffer(bytes);
  }

  /**
   * The edition is no longer sent from this isolate: its vectors go now rather than when
   * newer ones push them out (up to the whole budget, 8 MB, while the next edition is set up).
   */
  release(): void {
    this.cache.forget(this.prefix);
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  get size(): number {
    return this.cache.size;
  }
}
