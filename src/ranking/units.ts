/**
 * The parts an interest's score is made of, read off the edition's postings: each word of
 * the interest as a unit (its own occurrences merged with the spellings that stand in for
 * it: synonyms, defined acronyms, broader forms), a part per unit (its per-doc strength),
 * and for each pair of neighbouring words a phrase part and a proximity part, found in one
 * sweep over both words' sorted occurrences.
 */
import {
  type Codes,
  type Docs,
  docList,
  type EditionIndex,
  editionMemo,
  FIELD_COUNT,
  FIELDS,
  saturate,
  TITLE,
} from './edition';
import { PARAMS } from './params';
import type { InterestQuery } from './query';

/**
 * Where one query word stands in the edition: the docs that have it (ascending) and, per
 * doc, its intervals [codes[k], codes[k] + length) with code = field << fieldShift | start. A
 * word's own occurrences have id -1 and weight 1; an occurrence of another spelling of a
 * span shares its id with the span's other words, so the words inside it count as
 * adjacent. A word with no other spelling is a view on its posting: nothing is copied.
 */
export interface Unit {
  docs: Docs;
  /** Per doc, the range of its intervals: [starts[i], starts[i + 1]). */
  starts: Int32Array;
  codes: Codes;
  /** null: every interval is one token long, id -1, weight 1. */
  spelled: { lengths: Int32Array; ids: Int32Array; weights: Float32Array } | null;
  /** Set when the unit is exactly one term's posting. */
  term?: number;
}

const NO_UNIT: Unit = {
  docs: new Int32Array(0),
  starts: new Int32Array(1),
  codes: new Int32Array(0),
  spelled: null,
};

function termUnit(index: EditionIndex, id: number | undefined): Unit {
  if (id === undefined) return NO_UNIT;
  const from = index.termPostings[id]!;
  const to = index.termPostings[id + 1]!;
  return {
    docs: index.postingDocs.subarray(from, to),
    starts: index.postingStarts.subarray(from, to + 1),
    codes: index.occurrences,
    spelled: null,
    term: id,
  };
}

/**
 * Occurrences of the multi-token spelling `ids` as [doc, code] pairs, in doc order. Found
 * once per edition and shared by every interest that uses them ("large language model"
 * stands in for LLM in many interests): walking a common first word's occurrences was a
 * good part of a new interest's cost. About 2 MB of pairs, least recently used out.
 */
const spellings = editionMemo<number[]>(250_000, (found) => found.length + 4);

function findSpelling(index: EditionIndex, ids: readonly number[]): number[] {
  return spellings(index, ids.join(','), () => scanSpelling(index, ids));
}

function scanSpelling(index: EditionIndex, ids: readonly number[]): number[] {
  const found: number[] = [];
  const first = ids[0];
  if (first === undefined || ids.some((id) => id < 0)) return found;
  const { termPostings, postingDocs, postingStarts, occurrences, fieldStarts, docTerms, fieldShift } = index;
  const position = (1 << fieldShift) - 1;
  for (let posting = termPostings[first]!; posting < termPostings[first + 1]!; posting++) {
    const doc = postingDocs[posting]!;
    for (let slot = postingStarts[posting]!; slot < postingStarts[posting + 1]!; slot++) {
      const code = occurrences[slot]!;
      const base = fieldStarts[doc * FIELD_COUNT + (code >>> fieldShift)]! + (code & position);
      let whole = true;
      for (let k = 1; k < ids.length && whole; k++) whole = docTerms[base + k] === ids[k];
      if (whole) found.push(doc, code);
    }
  }
  return found;
}

interface Spelling {
  /** [doc, code] pairs in doc order. */
  found: number[];
  length: number;
  weight: number;
  /** Id of the spelling's first occurrence; the k-th occurrence has firstId + k. */
  firstId: number;
  /** Everything a merge with it depends on (terms, weight, first id): its part of a unit's memo key. */
  key: string;
}

/** A word's own occurrences merged with the spellings that stand in for it. */
function spelledUnit(index: EditionIndex, own: Unit, spellings: readonly Spelling[]): Unit {
  const ownDocs = own.docs.length;
  let extra = 0;
  for (const spelling of spellings) extra += spelling.found.length / 2;
  const count = own.starts[ownDocs]! - own.starts[0]! + extra;
  // At most one doc per interval: sized once, trimmed at the end (no growing arrays).
  const docs = docList(index, ownDocs + extra);
  const starts = new Int32Array(ownDocs + extra + 1);
  // Codes of the index's width: a sweep then reads one kind of array, whichever units it pairs.
  const codes = index.occurrences instanceof Uint16Array ? new Uint16Array(count) : new Int32Array(count);
  const lengths = new Int32Array(count);
  const ids = new Int32Array(count);
  const weights = new Float32Array(count);
  const cursors = new Int32Array(spellings.length);
  let at = 0;
  let ownDoc = 0;
  let docCount = 0;
  for (;;) {
    // The smallest next doc among the word's own docs and every spelling.
    let doc = ownDoc < ownDocs ? own.docs[ownDoc]! : NO_DOC;
    for (let s = 0; s < spellings.length; s++) {
      const found = spellings[s]!.found;
      const cursor = cursors[s]!;
      if (cursor < found.length && found[cursor]! < doc) doc = found[cursor]!;
    }
    if (doc === NO_DOC) break;
    const from = at;
    docs[docCount] = doc;
    starts[docCount++] = from;
    if (ownDoc < ownDocs && own.docs[ownDoc] === doc) {
      for (let k = own.starts[ownDoc]!; k < own.starts[ownDoc + 1]!; k++) {
        codes[at] = own.codes[k]!;
        lengths[at] = 1;
        ids[at] = -1;
        weights[at++] = 1;
      }
      ownDoc++;
    }
    for (let s = 0; s < spellings.length; s++) {
      const spelling = spellings[s]!;
      const found = spelling.found;
      let cursor = cursors[s]!;
      while (cursor < found.length && found[cursor] === doc) {
        codes[at] = found[cursor + 1]!;
        lengths[at] = spelling.length;
        ids[at] = spelling.firstId + cursor / 2;
        weights[at++] = spelling.weight;
        cursor += 2;
      }
      cursors[s] = cursor;
    }
    if (at - from > 1) sortSegment(codes, lengths, ids, weights, from, at);
  }
  starts[docCount] = at;
  return {
    docs: docs.subarray(0, docCount),
    starts: starts.subarray(0, docCount + 1),
    codes,
    spelled: { lengths, ids, weights },
  };
}

/** Past every doc number: the end of a merge. */
const NO_DOC = 0x7fffffff;

/** Insertion sort of one doc's intervals by code (a handful of entries). */
function sortSegment(
  codes: Codes,
  lengths: Int32Array,
  ids: Int32Array,
  weights: Float32Array,
  from: number,
  to: number,
) {
  for (let k = from + 1; k < to; k++) {
    const code = codes[k]!;
    const length = lengths[k]!;
    const id = ids[k]!;
    const weight = weights[k]!;
    let m = k - 1;
    while (m >= from && codes[m]! > code) {
      codes[m + 1] = codes[m]!;
      lengths[m + 1] = lengths[m]!;
      ids[m + 1] = ids[m]!;
      weights[m + 1] = weights[m]!;
      m--;
    }
    codes[m + 1] = code;
    lengths[m + 1] = length;
    ids[m + 1] = id;
    weights[m + 1] = weight;
  }
}

export function buildUnits(index: EditionIndex, query: InterestQuery): Unit[] {
  const units = query.tokens.map((token) => termUnit(index, index.terms.get(token)));
  const spellingsOf: Spelling[][] = query.tokens.map(() => []);
  let nextId = 0;
  for (const span of query.spans) {
    for (const form of span.forms) {
      const ids = form.tokens.map((token) => index.terms.get(token) ?? -1);
      const found = findSpelling(index, ids);
      if (found.length === 0) continue;
      const key = `${ids.join(',')}:${form.weight}:${nextId}`;
      const spelling = { found, length: ids.length, weight: form.weight, firstId: nextId, key };
      nextId += found.length / 2;
      for (let unit = span.from; unit < span.to; unit++) spellingsOf[unit]!.push(spelling);
    }
  }
  return units.map((unit, u) => {
    const forms = spellingsOf[u]!;
    if (forms.length === 0) return unit;
    const key = `${query.tokens[u]}|${forms.map((spelling) => spelling.key).join('|')}`;
    return rememberedUnit(index, key, () => spelledUnit(index, unit, forms));
  });
}

/**
 * Merged units per edition, by word and spellings (their terms, weight and first id, all
 * that the merge depends on), and their parts: a word with a common other spelling ("LLMs"
 * → "large language models") recurs across interests, and merging its occurrences was a
 * good part of a new interest's cost. Bounded at 5 MB with their parts, counted in bytes
 * (16 per interval, 20 per doc): at 3,000 candidates a common word with an acronym the
 * edition defines ("language" and "LM") is half a megabyte, and a smaller budget had the
 * few of them evict each other interest after interest.
 */
const rememberedUnit = editionMemo<Unit>(
  5_000_000,
  (unit) => 16 * unit.codes.length + 20 * unit.docs.length + 64,
);
const partMemo = new WeakMap<Unit, Part>();

/** Σ over fields of field weight × saturated, length-normalised count. */
function strength(index: EditionIndex, doc: number, counts: Float64Array): number {
  let sum = 0;
  for (let field = 0; field < FIELD_COUNT; field++) {
    const count = counts[field]!;
    if (count > 0)
      sum += FIELDS[field]!.weight * saturate(count * index.fieldNorm[doc * FIELD_COUNT + field]!);
  }
  return sum;
}

/** A part of the score (a word, a phrase, a proximity): per doc that has it, its strength. */
export interface Part {
  docs: Docs;
  strengths: Float32Array | Float64Array;
  size: number;
  /** Docs that have it in their title. */
  titled: number;
}

/** An empty part with room for as many docs as `docs` holds (a list of the index's width: `docList`). */
const newPart = (docs: Docs): Part => ({
  docs,
  strengths: new Float64Array(docs.length),
  size: 0,
  titled: 0,
});

/**
 * Marks in `present` the docs where the unit occurs with full weight: as written or as a
 * synonym, not only through a broader form. Only those may say "matches".
 */
export function markPresent(unit: Unit, present: Uint8Array): void {
  const { docs } = unit;
  const weights = unit.spelled?.weights;
  if (!weights) {
    // A word as written (most units): every doc that has it.
    for (let i = 0; i < docs.length; i++) present[docs[i]!]!++;
    return;
  }
  const { starts } = unit;
  for (let i = 0; i < docs.length; i++) {
    let full = false;
    for (let k = starts[i]!; k < starts[i + 1]! && !full; k++) full = weights[k]! >= 1;
    if (full) present[docs[i]!]!++;
  }
}

export function unitPart(index: EditionIndex, unit: Unit): Part {
  if (unit.term !== undefined) {
    // A plain word: its strengths were computed with the edition.
    const from = index.termPostings[unit.term]!;
    return {
      docs: unit.docs,
      strengths: index.postingStrengths.subarray(from, from + unit.docs.length),
      size: unit.docs.length,
      titled: index.termTitled[unit.term]!,
    };
  }
  const known = partMemo.get(unit);
  if (known) return known;
  const counts = new Float64Array(FIELD_COUNT);
  const part = newPart(docList(index, unit.docs.length));
  const weights = unit.spelled?.weights;
  const { fieldShift } = index;
  for (let i = 0; i < unit.docs.length; i++) {
    for (let field = 0; field < FIELD_COUNT; field++) counts[field] = 0;
    for (let k = unit.starts[i]!; k < unit.starts[i + 1]!; k++)
      counts[unit.codes[k]! >>> fieldShift]! += weights ? weights[k]! : 1;
    if (counts[TITLE]! > 0) part.titled++;
    part.docs[part.size] = unit.docs[i]!;
    part.strengths[part.size++] = strength(index, unit.docs[i]!, counts);
  }
  partMemo.set(unit, part);
  return part;
}

let pairBuffers = {
  phrase: newPart(new Int32Array(0)),
  near: newPart(new Int32Array(0)),
  phraseCounts: new Float64Array(FIELD_COUNT),
  nearCounts: new Float64Array(FIELD_COUNT),
};

/**
 * The two parts `pairParts` fills, emptied and reused: they are added to the interest's
 * score and dropped before the next pair, and allocating four typed arrays per pair was
 * a good part of its cost.
 */
function pairScratch(index: EditionIndex, capacity: number) {
  const { docs } = pairBuffers.phrase;
  if (docs.length < capacity || docs.constructor !== index.postingDocs.constructor) {
    const size = Math.max(capacity, 2 * docs.length);
    pairBuffers = {
      ...pairBuffers,
      phrase: newPart(docList(index, size)),
      near: newPart(docList(index, size)),
    };
  }
  pairBuffers.phrase.size = pairBuffers.phrase.titled = 0;
  pairBuffers.near.size = pairBuffers.near.titled = 0;
  return pairBuffers;
}

/**
 * Phrase (adjacent, in order, or inside one spelling) and proximity parts of two
 * neighbouring words. Intervals are sorted by code within a doc and a field's positions
 * never come within reach of another field's (2^13 or more apart), so one sweep with a window
 * pointer finds every pair near enough: linear in the occurrences, not quadratic, which
 * matters for "large language models" at thousands of candidates. The parts returned are
 * reused by the next call.
 */
export function pairParts(
  index: EditionIndex,
  a: Unit,
  b: Unit,
  exact: Uint8Array,
): { phrase: Part; near: Part } {
  const { phrase, near, phraseCounts, nearCounts } = pairScratch(
    index,
    Math.min(a.docs.length, b.docs.length),
  );
  const window = PARAMS.proximityWindow;
  const { fieldShift } = index;
  // The units' arrays in locals: read through `a` and `b` (and their optional spellings)
  // in the sweeps, they were loaded again for every pair of intervals.
  const { docs: docsA, starts: startsA, codes: codesA } = a;
  const { docs: docsB, starts: startsB, codes: codesB } = b;
  const lengthsA = a.spelled ? a.spelled.lengths : null;
  const idsA = a.spelled ? a.spelled.ids : null;
  const weightsA = a.spelled ? a.spelled.weights : null;
  const lengthsB = b.spelled ? b.spelled.lengths : null;
  const idsB = b.spelled ? b.spelled.ids : null;
  const weightsB = b.spelled ? b.spelled.weights : null;
  // Most pairs are two words as written (no other spelling): their sweep is written out
  // without the per-interval look-ups of lengths, ids and weights (the same arithmetic:
  // every weight is 1), which were a good part of this function's time.
  const plain = a.spelled === null && b.spelled === null;
  let j = 0;
  for (let i = 0; i < docsA.length; i++) {
    const doc = docsA[i]!;
    while (j < docsB.length && docsB[j]! < doc) j++;
    if (j === docsB.length) break;
    if (docsB[j] !== doc) continue;
    // Zeroed by hand: four entries, and fill() was a tenth of this function's time.
    for (let field = 0; field < FIELD_COUNT; field++) phraseCounts[field] = nearCounts[field] = 0;
    let adjacent = false;
    let close = false;
    let whole = false;
    const endOfB = startsB[j + 1]!;
    let low = startsB[j]!;
    if (plain) {
      // Two words as written: every interval one token long, weight 1, no spelling to share.
      for (let p = startsA[i]!; p < startsA[i + 1]!; p++) {
        const startA = codesA[p]!;
        const field = startA >>> fieldShift;
        while (low < endOfB && codesB[low]! + 8 + window < startA) low++;
        for (let q = low; q < endOfB; q++) {
          const startB = codesB[q]!;
          if (startB > startA + 1 + window) break;
          if (startB === startA + 1) {
            phraseCounts[field]! += 1;
            nearCounts[field]! += 1;
            adjacent = close = whole = true;
          } else if (Math.max(startB - startA - 1, startA - startB - 1) <= window) {
            nearCounts[field]! += 1;
            close = true;
          }
        }
      }
    } else {
      for (let p = startsA[i]!; p < startsA[i + 1]!; p++) {
        const startA = codesA[p]!;
        const endA = startA + (lengthsA !== null ? lengthsA[p]! : 1);
        const idA = idsA !== null ? idsA[p]! : -1;
        const weightA = weightsA !== null ? weightsA[p]! : 1;
        const field = startA >>> fieldShift;
        // B intervals ending more than `window` before A starts can never pair again (spellings are ≤ 8 long).
        while (low < endOfB && codesB[low]! + 8 + window < startA) low++;
        for (let q = low; q < endOfB; q++) {
          const startB = codesB[q]!;
          if (startB > endA + window) break;
          const weight = Math.min(weightA, weightsB !== null ? weightsB[q]! : 1);
          const idB = idsB !== null ? idsB[q]! : -1;
          if ((idA >= 0 && idA === idB) || startB === endA) {
            phraseCounts[field]! += weight;
            nearCounts[field]! += weight;
            adjacent = close = true;
            if (weight >= 1) whole = true;
          } else if (
            Math.max(startB - endA, startA - startB - (lengthsB !== null ? lengthsB[q]! : 1)) <= window
          ) {
            nearCounts[field]! += weight;
            close = true;
          }
        }
      }
    }
    if (adjacent) {
      phrase.docs[phrase.size] = doc;
      phrase.strengths[phrase.size++] = strength(index, doc, phraseCounts);
    }
    if (close) {
      near.docs[near.size] = doc;
      near.strengths[near.size++] = strength(index, doc, nearCounts);
    }
    if (whole) exact[doc]!++;
  }
  return { phrase, near };
}
