/**
 * The per-edition index: everything about the candidate papers that does not depend on a
 * subscriber, computed once per edition (tokens with positions, BM25F field
 * normalisation, document frequencies, acronyms the papers define, author and category
 * lookups, trending), so that scoring an interest nobody asked about before is a few
 * passes over posting lists, and scoring a known one is a cache hit. Positions are kept
 * because a multi-word interest is matched as a phrase, not as a bag of words.
 */

import { LRUCache } from 'lru-cache';
import type { Paper } from '../domain';
import { AcronymMiner, type AcronymTable } from './acronyms';
import { EditionCache, editionBudget } from './cache';
import { nameKey, StageMiner, tokenize } from './text';

/**
 * BM25F fields. The title says what a paper is about; AI keywords and the AI summary
 * (Hugging Face adds them to some papers) are dense restatements; the abstract is long
 * and mentions motivations and baselines, so it weighs least per occurrence.
 */
export const FIELDS: { name: string; weight: number; b: number }[] = [
  { name: 'title', weight: 2.5, b: 0.3 },
  { name: 'keywords', weight: 1.5, b: 0.3 },
  { name: 'summary', weight: 1.0, b: 0.5 },
  { name: 'abstract', weight: 1.0, b: 0.75 },
];
export const FIELD_COUNT = FIELDS.length;
export const TITLE = 0;
/** BM25's term-frequency saturation constant. */
export const K1 = 1.2;
export const saturate = (tf: number) => ((K1 + 1) * tf) / (K1 + tf);

/** How many terms make up a paper's signature, what it is about for paper-to-paper similarity. */
export const SIGNATURE_TERMS = 20;

/** Position gap put between two AI keywords, so a phrase never matches across them. */
const KEYWORD_GAP = 4;

/**
 * Term ids of the token streams, occurrence codes or doc numbers: 16 bits each when every
 * value fits, as an edition's do (a few thousand terms and positions at 10,000 candidates
 * of the fixture, tens of thousands of terms would still fit, and up to 65,536
 * candidates), else 32. The three arrays were 18 MB of the index at 10,000 candidates.
 */
export type Codes = Uint16Array | Int32Array;

/** Doc numbers of the postings, and of every list of docs made from them. */
export type Docs = Codes;

/** A list of `length` doc numbers of the index's width: a loop over lists then reads one kind of array. */
export function docList(index: EditionIndex, length: number): Docs {
  return index.postingDocs instanceof Uint16Array ? new Uint16Array(length) : new Int32Array(length);
}

/**
 * How far up an occurrence code keeps its field: field << 14 | position when every field
 * is shorter than 2^13 tokens (16 bits; another field's codes stay 2^13 or more apart, far
 * past any phrase or proximity window), else field << 16 | position as 32 bits.
 */
const SHORT_FIELDS = { shift: 14, lastPosition: (1 << 13) - 1 };
const LONG_FIELDS = { shift: 16, lastPosition: 65_535 };

/** Whether `id`, read from the token streams, is a gap (-1, or 0xFFFF in 16 bits) rather than one of `termCount` terms. */
export const isGap = (id: number, termCount: number) => id >>> 0 >= termCount;

/** Where one term occurs: views into the index's shared arrays. */
export interface Posting {
  /** Docs containing the term, ascending. */
  docs: Docs;
  /** Per doc, BM25F pseudo term frequency: Σ field weight × count / length norm. */
  tfs: Float32Array;
  /** Per doc, the range of its occurrences in `occurrences`: [starts[i], starts[i + 1]). */
  starts: Int32Array;
  /** Encoded occurrences (field << EditionIndex.fieldShift | position), grouped per doc in doc order. */
  occurrences: Codes;
}

export interface AuthorKey {
  full: string;
  /** "lecun y": surname plus first initial, for "Y. LeCun" vs "Yann LeCun". */
  short: string;
  initialOnly: boolean;
  display: string;
}

export interface EditionIndex {
  papers: Paper[];
  total: number;
  /** Term -> term id. */
  terms: Map<string, number>;
  /** Per term id, its range of postings in postingDocs/postingTfs/postingStarts. */
  termPostings: Int32Array;
  postingDocs: Docs;
  postingTfs: Float32Array;
  /**
   * Per posting, the term's per-field BM25 strength in that doc: Σ field weight ×
   * saturate(count / length norm). Computed once here, it is a word's whole contribution
   * before idf, so scoring a one-word part of an interest copies nothing.
   */
  postingStrengths: Float32Array;
  /** Per term id, how many docs have it in their title. */
  termTitled: Int32Array;
  /** Per posting, the start of its occurrences (one extra entry closes the last). */
  postingStarts: Int32Array;
  occurrences: Codes;
  /** Where an occurrence code keeps its field: code >>> fieldShift; its position is the bits below. */
  fieldShift: number;
  /** Every doc's field token streams as term ids (gaps: see isGap), for phrase matching. */
  docTerms: Codes;
  /** Start of field f of doc d in docTerms at [d × FIELD_COUNT + f]. */
  fieldStarts: Int32Array;
  /** 1 / BM25 length normalisation of field f of doc d at [d × FIELD_COUNT + f]. */
  fieldNorm: Float32Array;
  /** idf of a term no paper contains: the ceiling of every weight. */
  maxIdf: number;
  /**
   * idfOf(n, total) at [n], for n from 0 to total: an interest asks for a few hundred idfs
   * (its parts, the expansion's candidate terms, the signatures it compares), and a
   * logarithm each was a few percent of scoring it at thousands of candidates.
   */
  idfByDf: Float64Array;
  /** log(1 + upvotes) / log(1 + max upvotes), in [0, 1]. */
  trending: Float64Array;
  /** Per doc, its id and upvotes: read for every candidate of every subscriber, so not from the paper objects. */
  ids: string[];
  upvotes: Int32Array;
  /** Paper id -> doc number; null when two docs share an id (lookups then scan `ids`). */
  docOf: Map<string, number> | null;
  /**
   * Per doc, its SIGNATURE_TERMS most distinctive terms (idf × saturated BM25F frequency:
   * what this paper is about rather than what every paper says) and their weights, at
   * [doc × SIGNATURE_TERMS + k], best first, -1 past the end. Document-level feedback
   * compares papers through them.
   */
  signatureTerms: Int32Array;
  signatureWeights: Float32Array;
  /** Acronyms the papers themselves define ("mixture of experts (MoE)"). */
  acronyms: AcronymTable;
  /** Stage compounds the papers hyphenate, with their heads ("pretrain" -> "train"). */
  stageHeads: Map<string, string>;
  /**
   * Per-interest score vectors, LRU within a fixed byte budget shared by the isolate's
   * editions (cache.ts): many subscribers share interests.
   */
  cache: EditionCache;
  /** Per doc, how many of its positions hold a term (the term expansion's length). */
  docLengths: Int32Array;
  /** Lower-cased category (and archive, e.g. "cs") -> docs, with the category's position. */
  categoryDocs: Map<string, CategoryHits>;
  /** Per doc, its authors' comparison keys (authorKeysOf), made on first use. */
  authorKeys: (AuthorKey[] | undefined)[];
  /** Author name key (full, and "surname initial") -> docs with that author. */
  authorDocs: Map<string, number[]>;
}

/** Docs with a category (or its archive), each with the position of its first match in its list. */
export interface CategoryHits {
  docs: number[];
  positions: number[];
}

/** The posting of `term`, or undefined when no paper of the edition has it. */
export function postingOf(index: EditionIndex, term: string): Posting | undefined {
  const id = index.terms.get(term);
  if (id === undefined) return undefined;
  const from = index.termPostings[id]!;
  const to = index.termPostings[id + 1]!;
  return {
    docs: index.postingDocs.subarray(from, to),
    tfs: index.postingTfs.subarray(from, to),
    starts: index.postingStarts.subarray(from, to + 1),
    occurrences: index.occurrences,
  };
}

/** How many papers of the edition contain `term`. */
export function documentFrequency(index: EditionIndex, term: string): number {
  const id = index.terms.get(term);
  return id === undefined ? 0 : index.termPostings[id + 1]! - index.termPostings[id]!;
}

export function idfOf(documentFrequency: number, total: number): number {
  return Math.log(1 + (total - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

export function authorKey(name: string): AuthorKey {
  const full = nameKey(name);
  const parts = full.split(' ').filter(Boolean);
  const surname = parts[parts.length - 1] ?? '';
  const first = parts[0] ?? '';
  return {
    full,
    short: `${surname} ${first.charAt(0)}`,
    initialOnly: parts.length > 1 && first.length === 1,
    display: name,
  };
}

/** The lookup key of an author: the surname, which every spelling of the name shares. */
export function surnameKey(name: string): string {
  const parts = nameKey(name).split(' ');
  return parts[parts.length - 1] ?? '';
}

export function authorsMatch(wanted: AuthorKey, paperAuthor: AuthorKey): boolean {
  if (!wanted.full) return false;
  if (wanted.full === paperAuthor.full) return true;
  return (wanted.initialOnly || paperAuthor.initialOnly) && wanted.short === paperAuthor.short;
}

/** Sentences about code availability carry no topic and would match "code" interests. */
const BOILERPLATE =
  /(https?:\/\/|github\.com|huggingface\.co|\b(code|data|dataset|datasets|models?|weights|checkpoints|demo|resources|benchmark)\b[^.]{0,80}\b(publicly available|available at|released at|open-sourced|will be released|are released|is released|can be found|will be made)\b)/i;

function stripBoilerplate(text: string): string {
  return text
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => !BOILERPLATE.test(sentence))
    .join(' ');
}

function keywordTokens(keywords: readonly string[]): string[] {
  const out: string[] = [];
  for (const keyword of keywords) {
    const tokens = tokenize(keyword);
    if (tokens.length === 0) continue;
    // Empty strings as spacers keep positions apart without ever matching a query term.
    if (out.length > 0) for (let gap = 0; gap < KEYWORD_GAP; gap++) out.push('');
    out.push(...tokens);
  }
  return out;
}

/**
 * Reads an edition's papers one by one into what its index is made of: each field's
 * tokens as term ids, field lengths, and the acronyms and stage compounds the papers
 * define. The whole texts are needed only here, so a caller that reads the papers page by
 * page (the sender) keeps of each only what it will show (`add`'s `kept`), and never holds
 * every abstract at once.
 */
export class EditionReader {
  readonly papers: Paper[] = [];
  readonly terms = new Map<string, number>();
  // Positions, in an Int32Array doubled when full: a plain array of every position was
  // twice the final size (8 bytes a number) and then copied, ~21 MB at 10,000 candidates.
  private streams = new Int32Array(1 << 16);
  private streamLength = 0;
  private readonly fieldStarts: number[] = [];
  private readonly lengths: number[] = [];
  private readonly acronyms = new AcronymMiner();
  private readonly stages = new StageMiner();

  add(paper: Paper, kept: Paper = paper): void {
    const fields = [
      tokenize(paper.title),
      keywordTokens(paper.aiKeywords ?? []),
      tokenize(paper.aiSummary ?? ''),
      tokenize(stripBoilerplate(paper.abstract ?? '')),
    ];
    for (const tokens of fields) {
      this.fieldStarts.push(this.streamLength);
      let length = 0;
      for (const token of tokens) {
        if (!token) {
          this.push(-1);
          continue;
        }
        let id = this.terms.get(token);
        if (id === undefined) {
          id = this.terms.size;
          this.terms.set(token, id);
        }
        this.push(id);
        length++;
      }
      this.lengths.push(length);
    }
    const text = `${paper.title}. ${paper.aiSummary ?? ''} ${paper.abstract ?? ''}`;
    this.acronyms.add(text);
    this.stages.add(text);
    this.papers.push(kept);
  }

  private push(id: number): void {
    if (this.streamLength === this.streams.length) {
      const grown = new Int32Array(this.streams.length * 2);
      grown.set(this.streams);
      this.streams = grown;
    }
    this.streams[this.streamLength++] = id;
  }

  /** The index of the papers read. `cacheBytes` gives it an interest cache of its own (tests). */
  index(cacheBytes?: number): EditionIndex {
    return indexOf(
      {
        papers: this.papers,
        terms: this.terms,
        // -1 becomes 0xFFFF in 16 bits, past every term id.
        docTerms: (this.terms.size < 0xffff ? Uint16Array : Int32Array).from(
          this.streams.subarray(0, this.streamLength),
        ),
        fieldStarts: Int32Array.from([...this.fieldStarts, this.streamLength]),
        lengths: Int32Array.from(this.lengths),
        acronyms: this.acronyms.table(),
        stageHeads: this.stages.heads,
      },
      cacheBytes,
    );
  }
}

/**
 * The index of an edition's candidates. `cacheBytes` gives it an interest cache of its own
 * with that budget (tests); by default it shares the isolate's (cache.ts).
 */
export function buildEditionIndex(papers: Paper[], cacheBytes?: number): EditionIndex {
  const reader = new EditionReader();
  for (const paper of papers) reader.add(paper);
  return reader.index(cacheBytes);
}

interface ReadPapers {
  papers: Paper[];
  terms: Map<string, number>;
  docTerms: Codes;
  fieldStarts: Int32Array;
  lengths: Int32Array;
  acronyms: AcronymTable;
  stageHeads: Map<string, string>;
}

function indexOf(read: ReadPapers, cacheBytes?: number): EditionIndex {
  const { papers, terms, docTerms, fieldStarts, lengths } = read;
  const total = papers.length;
  const fieldNorm = new Float32Array(total * FIELD_COUNT);
  FIELDS.forEach((spec, field) => {
    let sum = 0;
    let present = 0;
    for (let doc = 0; doc < total; doc++) {
      const length = lengths[doc * FIELD_COUNT + field]!;
      sum += length;
      if (length > 0) present++;
    }
    const average = Math.max(1, sum / Math.max(1, present));
    for (let doc = 0; doc < total; doc++) {
      const length = lengths[doc * FIELD_COUNT + field]!;
      fieldNorm[doc * FIELD_COUNT + field] = 1 / (1 - spec.b + (spec.b * length) / average);
    }
  });

  // Occurrences grouped by term with a counting sort; walking docs in order keeps each
  // term's occurrences in doc order, so postings fall out of one pass.
  const termCount = terms.size;
  const occurrenceStart = new Int32Array(termCount + 1);
  for (const id of docTerms) if (!isGap(id, termCount)) occurrenceStart[id + 1]!++;
  for (let id = 0; id < termCount; id++) occurrenceStart[id + 1]! += occurrenceStart[id]!;
  const cursor = occurrenceStart.slice(0, termCount);
  let longestField = 0;
  for (let at = 0; at + 1 < fieldStarts.length; at++)
    longestField = Math.max(longestField, fieldStarts[at + 1]! - fieldStarts[at]!);
  const codes = longestField - 1 <= SHORT_FIELDS.lastPosition ? SHORT_FIELDS : LONG_FIELDS;
  const fieldShift = codes.shift;
  const occurrences = new (codes === SHORT_FIELDS ? Uint16Array : Int32Array)(occurrenceStart[termCount]!);
  const occurrenceDoc = new Int32Array(occurrences.length);
  for (let doc = 0; doc < total; doc++) {
    for (let field = 0; field < FIELD_COUNT; field++) {
      const start = fieldStarts[doc * FIELD_COUNT + field]!;
      const end = fieldStarts[doc * FIELD_COUNT + field + 1]!;
      for (let position = start; position < end; position++) {
        const id = docTerms[position]!;
        if (isGap(id, termCount)) continue;
        const slot = cursor[id]!++;
        occurrences[slot] = (field << fieldShift) + Math.min(position - start, codes.lastPosition);
        occurrenceDoc[slot] = doc;
      }
    }
  }
  let postingCount = 0;
  for (let id = 0; id < termCount; id++) {
    for (let slot = occurrenceStart[id]!; slot < occurrenceStart[id + 1]!; slot++) {
      if (slot === occurrenceStart[id] || occurrenceDoc[slot] !== occurrenceDoc[slot - 1]) postingCount++;
    }
  }
  const termPostings = new Int32Array(termCount + 1);
  const postingDocs = new (total <= 0x10000 ? Uint16Array : Int32Array)(postingCount);
  const postingTfs = new Float32Array(postingCount);
  const postingStarts = new Int32Array(postingCount + 1);
  let posting = -1;
  for (let id = 0; id < termCount; id++) {
    termPostings[id] = posting + 1;
    for (let slot = occurrenceStart[id]!; slot < occurrenceStart[id + 1]!; slot++) {
      const doc = occurrenceDoc[slot]!;
      if (slot === occurrenceStart[id] || doc !== occurrenceDoc[slot - 1]) {
        posting++;
        postingDocs[posting] = doc;
        postingStarts[posting] = slot;
      }
      const field = occurrences[slot]! >>> fieldShift;
      postingTfs[posting]! += FIELDS[field]!.weight * fieldNorm[doc * FIELD_COUNT + field]!;
    }
  }
  termPostings[termCount] = posting + 1;
  const postingStrengths = new Float32Array(postingCount);
  const termTitled = new Int32Array(termCount);
  const counts = new Float64Array(FIELD_COUNT);
  for (let id = 0; id < termCount; id++) {
    for (let p = termPostings[id]!; p < termPostings[id + 1]!; p++) {
      counts.fill(0);
      for (let slot = postingStarts[p]!; slot < postingStarts[p + 1]!; slot++)
        counts[occurrences[slot]! >>> fieldShift]!++;
      if (counts[TITLE]! > 0) termTitled[id]!++;
      const doc = postingDocs[p]!;
      let strength = 0;
      for (let field = 0; field < FIELD_COUNT; field++) {
        if (counts[field]! > 0) {
          strength +=
            FIELDS[field]!.weight * saturate(counts[field]! * fieldNorm[doc * FIELD_COUNT + field]!);
        }
      }
      postingStrengths[p] = strength;
    }
  }
  postingStarts[postingCount] = occurrences.length;

  const idfByDf = new Float64Array(total + 1);
  for (let df = 0; df <= total; df++) idfByDf[df] = idfOf(df, total);
  const { signatureTerms, signatureWeights } = signatures(idfByDf, termPostings, postingDocs, postingTfs);
  const docLengths = docLengthsOf(total, lengths);

  const maxUpvotes = papers.reduce((max, paper) => Math.max(max, paper.upvotes ?? 0), 0);
  const trending = new Float64Array(total);
  if (maxUpvotes > 0) {
    papers.forEach((paper, doc) => {
      trending[doc] = Math.log1p(Math.max(0, paper.upvotes ?? 0)) / Math.log1p(maxUpvotes);
    });
  }

  // Lookups keep doc numbers only: at 10,000 candidates an object per author was most of the index.
  const categoryDocs = new Map<string, CategoryHits>();
  const authorDocs = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, doc: number) => {
    const list = map.get(key);
    if (!list) map.set(key, [doc]);
    else if (list[list.length - 1] !== doc) list.push(doc);
  };
  // A doc's first category matching a key (itself or its archive) is its lowest position.
  const pushCategory = (key: string, doc: number, position: number) => {
    const hits = categoryDocs.get(key);
    if (!hits) categoryDocs.set(key, { docs: [doc], positions: [position] });
    else if (hits.docs[hits.docs.length - 1] !== doc) {
      hits.docs.push(doc);
      hits.positions.push(position);
    }
  };
  papers.forEach((paper, doc) => {
    (paper.categories ?? []).forEach((category, position) => {
      const key = category.toLowerCase();
      pushCategory(key, doc, position);
      const archive = key.split('.')[0]!;
      if (archive !== key) pushCategory(archive, doc, position);
    });
    for (const name of paper.authors ?? []) push(authorDocs, surnameKey(name), doc);
  });

  return {
    papers,
    total,
    terms,
    termPostings,
    postingDocs,
    postingTfs,
    postingStrengths,
    termTitled,
    postingStarts,
    occurrences,
    fieldShift,
    docTerms,
    fieldStarts,
    fieldNorm,
    maxIdf: idfByDf[0]!,
    idfByDf,
    signatureTerms,
    signatureWeights,
    trending,
    ids: papers.map((paper) => paper.id),
    docOf: uniqueIds(papers),
    upvotes: Int32Array.from(papers, (paper) => Math.max(0, paper.upvotes ?? 0)),
    acronyms: read.acronyms,
    stageHeads: read.stageHeads,
    cache: new EditionCache(cacheBytes, total),
    docLengths,
    categoryDocs,
    authorDocs,
    authorKeys: new Array<AuthorKey[] | undefined>(total),
  };
}

function uniqueIds(papers: readonly Paper[]): Map<string, number> | null {
  const docOf = new Map(papers.map((paper, doc) => [paper.id, doc]));
  return docOf.size === papers.length ? docOf : null;
}

/** The doc's authors as comparison keys, made the first time a followed surname points at it. */
export function authorKeysOf(index: EditionIndex, doc: number): AuthorKey[] {
  let keys = index.authorKeys[doc];
  if (!keys) {
    keys = (index.papers[doc]!.authors ?? []).map(authorKey);
    index.authorKeys[doc] = keys;
  }
  return keys;
}

/**
 * A memo of things found in one edition (spellings, merged units, an author's papers) that
 * recur across interests and subscribers: kept per edition (it goes with the index), keyed
 * by everything the value depends on, and bounded by a budget of `sizeOf` units, least
 * recently used first out. (It used to start over when full: at thousands of candidates a
 * few merged units of common words, "language" with its acronym "LM", fill it, and every
 * new interest with one of them merged it again.) Evicting costs only the finding again.
 * A large edition's memo gets less room (`editionBudget`).
 */
export function editionMemo<T extends object>(budget: number, sizeOf: (value: T) => number) {
  const memos = new WeakMap<EditionIndex, LRUCache<string, T>>();
  return (index: EditionIndex, key: string, find: () => T): T => {
    let memo = memos.get(index);
    if (!memo) {
      memo = new LRUCache<string, T>({ maxSize: Math.max(1, editionBudget(budget, index.total)) });
      memos.set(index, memo);
    }
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = find();
    // A value past the whole budget is simply not kept.
    const size = Math.max(1, sizeOf(value));
    if (size <= memo.maxSize) memo.set(key, value, { size });
    return value;
  };
}

/**
 * Indices of the `k` highest values at or above `floor`, best first; of equal values the
 * lower index first. `among`, when given, lists the only indices that may qualify (each
 * once, in any order: every index with a value at or above the floor must be in it), so a
 * caller that knows which docs have a score need not scan every doc. Kept in order by
 * insertion, shifting by hand: many docs enter the list before the best arrive, and
 * `splice` for each was half of this function's time, which runs for every new interest.
 */
export function topDocs(
  values: ArrayLike<number>,
  k: number,
  floor: number,
  among?: ArrayLike<number>,
): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  const count = among ? among.length : values.length;
  for (let at = 0; at < count; at++) {
    const doc = among ? among[at]! : at;
    const value = values[doc]!;
    if (value < floor) continue;
    if (best.length === k && !ahead(values, value, doc, best[k - 1]!)) continue;
    // When the list is full its last one drops out: the new one takes its place, then moves up.
    let position = best.length;
    if (position < k) best.push(doc);
    else position = k - 1;
    while (position > 0 && ahead(values, value, doc, best[position - 1]!)) {
      best[position] = best[position - 1]!;
      position--;
    }
    best[position] = doc;
  }
  return best;
}

/** Whether `doc` (of `value`) ranks before `other`: a higher value, or an equal one and a lower index. */
const ahead = (values: ArrayLike<number>, value: number, doc: number, other: number) =>
  value > values[other]! || (value === values[other]! && doc < other);

/** Per doc, how many of its positions hold a term: the sum of its field lengths. */
function docLengthsOf(total: number, lengths: Int32Array): Int32Array {
  const docLengths = new Int32Array(total);
  for (let doc = 0; doc < total; doc++) {
    let length = 0;
    for (let field = 0; field < FIELD_COUNT; field++) length += lengths[doc * FIELD_COUNT + field]!;
    docLengths[doc] = length;
  }
  return docLengths;
}

/** Every doc's signature, from the postings: one pass per term, then the best few per doc. */
function signatures(
  idfByDf: Float64Array,
  termPostings: Int32Array,
  postingDocs: Docs,
  postingTfs: Float32Array,
): { signatureTerms: Int32Array; signatureWeights: Float32Array } {
  const total = idfByDf.length - 1;
  // Postings regrouped by doc (a counting sort), so each doc's terms sit together.
  const docStart = new Int32Array(total + 1);
  for (const doc of postingDocs) docStart[doc + 1]!++;
  for (let doc = 0; doc < total; doc++) docStart[doc + 1]! += docStart[doc]!;
  const cursor = docStart.slice(0, total);
  const ids = new Int32Array(postingDocs.length);
  const weights = new Float64Array(postingDocs.length);
  for (let id = 0; id + 1 < termPostings.length; id++) {
    const idf = idfByDf[termPostings[id + 1]! - termPostings[id]!]!;
    for (let posting = termPostings[id]!; posting < termPostings[id + 1]!; posting++) {
      const slot = cursor[postingDocs[posting]!]!++;
      ids[slot] = id;
      weights[slot] = idf * saturate(postingTfs[posting]!);
    }
  }
  const signatureTerms = new Int32Array(total * SIGNATURE_TERMS).fill(-1);
  const signatureWeights = new Float32Array(total * SIGNATURE_TERMS);
  for (let doc = 0; doc < total; doc++) {
    const best = topDocs(
      weights.subarray(docStart[doc]!, docStart[doc + 1]!),
      SIGNATURE_TERMS,
      Number.MIN_VALUE,
    );
    best.forEach((k, rank) => {
      signatureTerms[doc * SIGNATURE_TERMS + rank] = ids[docStart[doc]! + k]!;
      signatureWeights[doc * SIGNATURE_TERMS + rank] = weights[docStart[doc]! + k]!;
    });
  }
  return { signatureTerms, signatureWeights };
}

/** Occurrences (field << fieldShift | position) in the posting's `slot`-th doc. */
export function occurrencesAt(posting: Posting, slot: number): Codes {
  return posting.occurrences.subarray(posting.starts[slot]!, posting.starts[slot + 1]!);
}
