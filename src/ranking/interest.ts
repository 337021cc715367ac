/**
 * Scores one interest against every paper of an edition, in the manner of the sequential
 * dependence model (Metzler & Croft, 2005) over per-field BM25: each word of the interest
 * counts by its saturated frequency in the title and in the abstract (a title mention
 * weighs most: it says what the paper is about) times its idf, and each pair of adjacent
 * words counts again when the two occur as a phrase, and a little when they occur near
 * each other. So "autonomous driving" is about papers that say "autonomous driving", not
 * papers that mention driving. Words that papers of the edition use in titles weigh more
 * than words they only use in abstracts ("architecture", "systems"), which qualify a topic
 * rather than name it. One round of pseudo-relevance feedback then lends a little credit
 * to papers that share the recurring vocabulary of the best matches ("clinical" for
 * "medical AI"), and the papers most like one of the best matches, paper to paper, get a
 * little more. Scores are absolute, about 1 for a paper with the interest once in its
 * title and once in its abstract, so interests can be compared and a weak edition stays
 * weak. Everything runs over the edition's typed arrays: an interest nobody asked for
 * before costs a fraction of a millisecond at thousands of candidates.
 */
import { EVIDENCE, type InterestScores } from './cache';
import {
  type EditionIndex,
  FIELD_COUNT,
  FIELDS,
  idfOf,
  SIGNATURE_TERMS,
  saturate,
  TITLE,
  topDocs,
} from './edition';
import { buildQueries, type InterestQuery } from './query';

export const PARAMS = {
  /** Weights of the phrase (adjacent pair) and proximity (pair within a window) parts; a word weighs 1. */
  phraseWeight: 0.5,
  proximityWeight: 0.25,
  proximityWindow: 8,
  /** How much more a word weighs when every paper using it has it in the title. */
  topicality: 1,
  /** Pseudo-relevance feedback: at most this many docs, scoring at least max(min, relative × best). */
  prfDocs: 10,
  prfMinScore: 0.3,
  prfRelative: 0.4,
  /** Expansion terms, each seen in at least this many of those docs, and their share of the score. */
  prfTerms: 10,
  prfMinDocs: 2,
  prfShare: 0.2,
  /**
   * Document-level feedback: the best this many docs, each reduced to its signature (its
   * most distinctive terms), lend this share of their similarity to every other paper.
   */
  similarDocs: 3,
  similarShare: 0.2,
};

const ABSTRACT = FIELD_COUNT - 1;
/** What one mention in the title and one in an average abstract are worth. */
const reference = () => FIELDS[TITLE]!.weight * saturate(1) + FIELDS[ABSTRACT]!.weight * saturate(1);
/** The same mentions as one BM25F pseudo frequency (postings store those). */
const REFERENCE_TF = () => FIELDS[TITLE]!.weight + FIELDS[ABSTRACT]!.weight;

/**
 * Where one query word stands in the edition: the docs that have it (ascending) and, per
 * doc, its intervals [codes[k], codes[k] + length) with code = field × 2^16 + start. A
 * word's own occurrences have id -1 and weight 1; an occurrence of another spelling of a
 * span shares its id with the span's other words, so the words inside it count as
 * adjacent. A word with no other spelling is a view on its posting: nothing is copied.
 */
interface Unit {
  docs: Int32Array;
  /** Per doc, the range of its intervals: [starts[i], starts[i + 1]). */
  starts: Int32Array;
  codes: Int32Array;
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

/** Occurrences of the multi-token spelling `ids` as [doc, code] pairs, in doc order. */
function findSpelling(index: EditionIndex, ids: readonly number[]): number[] {
  const found: number[] = [];
  const first = ids[0];
  if (first === undefined || ids.some((id) => id < 0)) return found;
  const { termPostings, postingDocs, postingStarts, occurrences, fieldStarts, docTerms } = index;
  for (let posting = termPostings[first]!; posting < termPostings[first + 1]!; posting++) {
    const doc = postingDocs[posting]!;
    for (let slot = postingStarts[posting]!; slot < postingStarts[posting + 1]!; slot++) {
      const code = occurrences[slot]!;
      const base = fieldStarts[doc * FIELD_COUNT + (code >>> 16)]! + (code & 0xffff);
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
}

/** A word's own occurrences merged with the spellings that stand in for it. */
function spelledUnit(own: Unit, spellings: readonly Spelling[]): Unit {
  const size = own.starts[own.docs.length]! - own.starts[0]!;
  const count = size + spellings.reduce((sum, spelling) => sum + spelling.found.length / 2, 0);
  const docs: number[] = [];
  const starts: number[] = [];
  const codes = new Int32Array(count);
  const lengths = new Int32Array(count);
  const ids = new Int32Array(count);
  const weights = new Float32Array(count);
  let at = 0;
  let ownDoc = 0;
  const cursors = spellings.map(() => 0);
  for (;;) {
    // The smallest next doc among the word's own docs and every spelling.
    let doc = ownDoc < own.docs.length ? own.docs[ownDoc]! : Number.POSITIVE_INFINITY;
    spellings.forEach((spelling, s) => {
      if (cursors[s]! < spelling.found.length) doc = Math.min(doc, spelling.found[cursors[s]!]!);
    });
    if (doc === Number.POSITIVE_INFINITY) break;
    docs.push(doc);
    starts.push(at);
    if (ownDoc < own.docs.length && own.docs[ownDoc] === doc) {
      for (let k = own.starts[ownDoc]!; k < own.starts[ownDoc + 1]!; k++) {
        codes[at] = own.codes[k]!;
        lengths[at] = 1;
        ids[at] = -1;
        weights[at++] = 1;
      }
      ownDoc++;
    }
    spellings.forEach((spelling, s) => {
      while (cursors[s]! < spelling.found.length && spelling.found[cursors[s]!] === doc) {
        codes[at] = spelling.found[cursors[s]! + 1]!;
        lengths[at] = spelling.length;
        ids[at] = spelling.firstId + cursors[s]! / 2;
        weights[at++] = spelling.weight;
        cursors[s]! += 2;
      }
    });
    sortSegment(codes, lengths, ids, weights, starts[starts.length - 1]!, at);
  }
  starts.push(at);
  return {
    docs: Int32Array.from(docs),
    starts: Int32Array.from(starts),
    codes,
    spelled: { lengths, ids, weights },
  };
}

/** Insertion sort of one doc's intervals by code (a handful of entries). */
function sortSegment(
  codes: Int32Array,
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

function buildUnits(index: EditionIndex, query: InterestQuery): Unit[] {
  const units = query.tokens.map((token) => termUnit(index, index.terms.get(token)));
  const spellingsOf: Spelling[][] = query.tokens.map(() => []);
  let nextId = 0;
  for (const span of query.spans) {
    for (const form of span.forms) {
      const ids = form.tokens.map((token) => index.terms.get(token) ?? -1);
      const found = findSpelling(index, ids);
      if (found.length === 0) continue;
      const spelling = { found, length: ids.length, weight: form.weight, firstId: nextId };
      nextId += found.length / 2;
      for (let unit = span.from; unit < span.to; unit++) spellingsOf[unit]!.push(spelling);
    }
  }
  return units.map((unit, u) => (spellingsOf[u]!.length > 0 ? spelledUnit(unit, spellingsOf[u]!) : unit));
}

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
interface Part {
  docs: Int32Array;
  strengths: Float32Array | Float64Array;
  size: number;
  /** Docs that have it in their title. */
  titled: number;
}

const newPart = (capacity: number): Part => ({
  docs: new Int32Array(capacity),
  strengths: new Float64Array(capacity),
  size: 0,
  titled: 0,
});

/**
 * Marks in `present` the docs where the unit occurs with full weight: as written or as a
 * synonym, not only through a broader form. Only those may say "matches".
 */
function markPresent(unit: Unit, present: Uint8Array): void {
  const weights = unit.spelled?.weights;
  for (let i = 0; i < unit.docs.length; i++) {
    let full = !weights;
    for (let k = unit.starts[i]!; k < unit.starts[i + 1]! && !full; k++) full = weights![k]! >= 1;
    if (full) present[unit.docs[i]!]!++;
  }
}

function unitPart(index: EditionIndex, unit: Unit): Part {
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
  const counts = new Float64Array(FIELD_COUNT);
  const part = newPart(unit.docs.length);
  const weights = unit.spelled?.weights;
  for (let i = 0; i < unit.docs.length; i++) {
    counts.fill(0);
    for (let k = unit.starts[i]!; k < unit.starts[i + 1]!; k++)
      counts[unit.codes[k]! >>> 16]! += weights ? weights[k]! : 1;
    if (counts[TITLE]! > 0) part.titled++;
    part.docs[part.size] = unit.docs[i]!;
    part.strengths[part.size++] = strength(index, unit.docs[i]!, counts);
  }
  return part;
}

/**
 * Phrase (adjacent, in order, or inside one spelling) and proximity parts of two
 * neighbouring words. Intervals are sorted by code within a doc and a field's positions
 * never come within reach of another field's (2^16 apart), so one sweep with a window
 * pointer finds every pair near enough: linear in the occurrences, not quadratic, which
 * matters for "large language models" at thousands of candidates.
 */
function pairParts(index: EditionIndex, a: Unit, b: Unit, exact: Uint8Array): { phrase: Part; near: Part } {
  const capacity = Math.min(a.docs.length, b.docs.length);
  const phrase = newPart(capacity);
  const near = newPart(capacity);
  const phraseCounts = new Float64Array(FIELD_COUNT);
  const nearCounts = new Float64Array(FIELD_COUNT);
  const window = PARAMS.proximityWindow;
  const lengthA = (k: number) => (a.spelled ? a.spelled.lengths[k]! : 1);
  const lengthB = (k: number) => (b.spelled ? b.spelled.lengths[k]! : 1);
  let j = 0;
  for (let i = 0; i < a.docs.length; i++) {
    const doc = a.docs[i]!;
    while (j < b.docs.length && b.docs[j]! < doc) j++;
    if (j === b.docs.length) break;
    if (b.docs[j] !== doc) continue;
    phraseCounts.fill(0);
    nearCounts.fill(0);
    let adjacent = false;
    let close = false;
    let whole = false;
    const endOfB = b.starts[j + 1]!;
    let low = b.starts[j]!;
    for (let p = a.starts[i]!; p < a.starts[i + 1]!; p++) {
      const startA = a.codes[p]!;
      const endA = startA + lengthA(p);
      const idA = a.spelled ? a.spelled.ids[p]! : -1;
      const weightA = a.spelled ? a.spelled.weights[p]! : 1;
      const field = startA >>> 16;
      // B intervals ending more than `window` before A starts can never pair again (spellings are ≤ 8 long).
      while (low < endOfB && b.codes[low]! + 8 + window < startA) low++;
      for (let q = low; q < endOfB; q++) {
        const startB = b.codes[q]!;
        if (startB > endA + window) break;
        const weight = Math.min(weightA, b.spelled ? b.spelled.weights[q]! : 1);
        const idB = b.spelled ? b.spelled.ids[q]! : -1;
        if ((idA >= 0 && idA === idB) || startB === endA) {
          phraseCounts[field]! += weight;
          nearCounts[field]! += weight;
          adjacent = close = true;
          if (weight >= 1) whole = true;
        } else if (Math.max(startB - endA, startA - startB - lengthB(q)) <= window) {
          nearCounts[field]! += weight;
          close = true;
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

/**
 * Adds weight × idf × strength per doc; returns what one reference match would add. A
 * part no paper has still counts in the reference (at the highest idf), or an interest
 * nobody wrote about would have its stray matches inflated.
 */
function addPart(raw: Float64Array, part: Part, weight: number, index: EditionIndex): number {
  const scale = weight * (part.size > 0 ? idfOf(part.size, index.total) : index.maxIdf);
  for (let i = 0; i < part.size; i++) raw[part.docs[i]!]! += scale * part.strengths[i]!;
  return scale * reference();
}

export function scoreInterest(index: EditionIndex, text: string): InterestScores {
  const key = text.trim().toLowerCase();
  const cached = index.cache.get(key);
  if (cached) return cached;

  const total = index.total;
  const scores = new Float32Array(total);
  const evidence = new Uint8Array(total);
  // "image & video editing" reads as "image editing" and "video editing": a paper gets
  // the credit of every reading it matches, as it would for words of one reading.
  const queries = buildQueries(text, index);
  const reading = queries.length > 1 ? new Uint8Array(total) : null;
  queries.forEach((query, position) => {
    scoreQuery(index, query, scores, evidence, reading, position);
  });
  // Both kinds of feedback learn from the same best matches of the interest as written.
  const top = bestMatches(scores);
  applyPseudoRelevanceFeedback(index, queries, top, scores, evidence);
  applyDocumentFeedback(index, top.slice(0, PARAMS.similarDocs), scores, evidence);

  const result = { scores, evidence, readings: queries.map((query) => query.text), reading };
  index.cache.set(key, result);
  return result;
}

/** Adds one reading's scores to `scores`; `evidence` keeps each doc's strongest, `reading` where it came from. */
function scoreQuery(
  index: EditionIndex,
  query: InterestQuery,
  scores: Float32Array,
  evidence: Uint8Array,
  reading: Uint8Array | null,
  position: number,
): void {
  const total = index.total;
  const units = buildUnits(index, query);
  const { raw, present, exact } = scratch(total);
  let ideal = 0;
  for (const unit of units) {
    const part = unitPart(index, unit);
    const topicality = 1 + PARAMS.topicality * (part.size > 0 ? part.titled / part.size : 0);
    ideal += addPart(raw, part, topicality, index);
    markPresent(unit, present);
  }
  for (let u = 0; u + 1 < units.length; u++) {
    const { phrase, near } = pairParts(index, units[u]!, units[u + 1]!, exact);
    ideal += addPart(raw, phrase, PARAMS.phraseWeight, index);
    ideal += addPart(raw, near, PARAMS.proximityWeight, index);
  }
  if (ideal <= 0) return;
  const pairs = Math.max(0, units.length - 1);
  for (let doc = 0; doc < total; doc++) {
    if (raw[doc]! <= 0) continue;
    scores[doc]! += raw[doc]! / ideal;
    const found = present[doc] === units.length && exact[doc] === pairs ? EVIDENCE.phrase : EVIDENCE.words;
    if (found > evidence[doc]!) {
      evidence[doc] = found;
      if (reading) reading[doc] = position;
    }
  }
}

let buffers = { raw: new Float64Array(0), present: new Uint8Array(0), exact: new Uint8Array(0) };

/** Zeroed working arrays for one interest, reused: allocating them per interest was most of its cost. */
function scratch(total: number) {
  if (buffers.raw.length < total) {
    buffers = { raw: new Float64Array(total), present: new Uint8Array(total), exact: new Uint8Array(total) };
  }
  buffers.raw.fill(0, 0, total);
  buffers.present.fill(0, 0, total);
  buffers.exact.fill(0, 0, total);
  return buffers;
}

let termBuffers = { weight: new Float64Array(0), docs: new Int32Array(0), last: new Int32Array(0) };

/** Per-term working arrays for the expansion, reused, and zeroed again after each use. */
function termScratch(count: number) {
  if (termBuffers.weight.length < count) {
    termBuffers = {
      weight: new Float64Array(count),
      docs: new Int32Array(count),
      last: new Int32Array(count),
    };
  }
  return termBuffers;
}

let extraBuffer = new Float64Array(0);

/** A zeroed per-doc array for what a feedback round adds, reused like the other scratch arrays. */
function extraScratch(total: number): Float64Array {
  if (extraBuffer.length < total) extraBuffer = new Float64Array(total);
  extraBuffer.fill(0, 0, total);
  return extraBuffer;
}

/** The papers feedback learns from: at most prfDocs, scoring at least max(min, relative × best). */
function bestMatches(scores: Float32Array): number[] {
  let best = 0;
  for (let doc = 0; doc < scores.length; doc++) best = Math.max(best, scores[doc]!);
  return topDocs(scores, PARAMS.prfDocs, Math.max(PARAMS.prfMinScore, PARAMS.prfRelative * best));
}

/**
 * RM3-style expansion: the terms that recur in the best-scoring papers (frequent in them,
 * rare in the edition) become a second, weaker query whose normalised score takes a
 * fixed share of the final one. Terms of a single paper are that paper's subject, not
 * the interest's, so a term must recur across them.
 */
function applyPseudoRelevanceFeedback(
  index: EditionIndex,
  queries: readonly InterestQuery[],
  top: readonly number[],
  scores: Float32Array,
  evidence: Uint8Array,
): void {
  const total = index.total;
  if (top.length < PARAMS.prfMinDocs) return;

  const queryIds = new Set(
    queries
      .flatMap((query) => [
        ...query.tokens,
        ...query.spans.flatMap((span) => span.forms.flatMap((f) => f.tokens)),
      ])
      .map((token) => index.terms.get(token) ?? -1),
  );
  const { weight, docs, last } = termScratch(index.terms.size);
  const touched: number[] = [];
  for (const doc of top) {
    const from = index.fieldStarts[doc * FIELD_COUNT]!;
    const to = index.fieldStarts[(doc + 1) * FIELD_COUNT]!;
    let length = 0;
    for (let position = from; position < to; position++) if (index.docTerms[position]! >= 0) length++;
    const share = scores[doc]! / length;
    for (let position = from; position < to; position++) {
      const id = index.docTerms[position]!;
      if (id < 0 || queryIds.has(id)) continue;
      if (docs[id] === 0) touched.push(id);
      if (last[id] !== doc + 1) {
        last[id] = doc + 1;
        docs[id]!++;
      }
      weight[id]! += share;
    }
  }
  const df = (id: number) => index.termPostings[id + 1]! - index.termPostings[id]!;
  const candidates = touched.filter((id) => docs[id]! >= PARAMS.prfMinDocs);
  const value = Float64Array.from(candidates, (id) => weight[id]! * idfOf(df(id), total));
  const expansion = topDocs(value, PARAMS.prfTerms, Number.MIN_VALUE).map((k) => ({
    id: candidates[k]!,
    weight: value[k]!,
  }));
  for (const id of touched) weight[id] = docs[id] = last[id] = 0;
  if (expansion.length === 0) return;

  const mass = expansion.reduce((sum, term) => sum + term.weight, 0);
  const extra = extraScratch(total);
  let ideal = 0;
  for (const term of expansion) {
    const scale = (term.weight / mass) * idfOf(df(term.id), total);
    ideal += scale * saturate(REFERENCE_TF());
    for (let posting = index.termPostings[term.id]!; posting < index.termPostings[term.id + 1]!; posting++) {
      extra[index.postingDocs[posting]!]! += scale * saturate(index.postingTfs[posting]!);
    }
  }
  const share = PARAMS.prfShare;
  for (let doc = 0; doc < total; doc++) {
    scores[doc] = (1 - share) * scores[doc]! + (share * extra[doc]!) / ideal;
    if (extra[doc]! > 0 && evidence[doc] === EVIDENCE.none) evidence[doc] = EVIDENCE.related;
  }
}

/**
 * Document-level feedback, the paper-to-paper counterpart of the term expansion above: a
 * paper that resembles one of the best matches is likely on the same topic even when it
 * words the interest differently or names it only in passing. Each match is reduced to its
 * signature, its most distinctive terms (edition.ts); every other paper gains a share of
 * its overlap with them, relative to the match's overlap with itself and times the
 * match's own score, so a copy of a squarely relevant paper gains about the share, a paper
 * like a weak match little, and no paper is credited for resembling itself (scores stay
 * absolute). Cheap: a few dozen rare terms' postings per match.
 */
function applyDocumentFeedback(
  index: EditionIndex,
  top: readonly number[],
  scores: Float32Array,
  evidence: Uint8Array,
): void {
  if (PARAMS.similarShare <= 0 || top.length === 0) return;
  const total = index.total;
  const extra = extraScratch(total);
  const { signatureTerms, signatureWeights } = index;
  for (const source of top) {
    const from = source * SIGNATURE_TERMS;
    let self = 0;
    for (let k = from; k < from + SIGNATURE_TERMS && signatureTerms[k]! >= 0; k++)
      self += signatureWeights[k]! ** 2;
    if (self <= 0) continue;
    for (let k = from; k < from + SIGNATURE_TERMS && signatureTerms[k]! >= 0; k++) {
      const id = signatureTerms[k]!;
      const start = index.termPostings[id]!;
      const end = index.termPostings[id + 1]!;
      const scale =
        (scores[source]! * signatureWeights[k]! * idfOf(end - start, total)) / (self * top.length);
      for (let posting = start; posting < end; posting++) {
        if (index.postingDocs[posting] === source) continue;
        extra[index.postingDocs[posting]!]! += scale * saturate(index.postingTfs[posting]!);
      }
    }
  }
  const share = PARAMS.similarShare;
  for (let doc = 0; doc < total; doc++) {
    if (extra[doc]! <= 0) continue;
    scores[doc]! += share * extra[doc]!;
    if (evidence[doc] === EVIDENCE.none) evidence[doc] = EVIDENCE.related;
  }
}
