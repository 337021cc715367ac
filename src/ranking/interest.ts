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
import type { EditionIndex } from './edition';
import { applyDocumentFeedback, applyPseudoRelevanceFeedback, bestMatches } from './expansion';
import { PARAMS, referenceScore } from './params';
import { type InterestQuery, queriesOf } from './query';
import { buildUnits, markPresent, type Part, pairParts, unitPart } from './units';

/**
 * Adds weight × idf × strength per doc (unless `raw` is null: a word another reading
 * already counted), listing in `buffers.touched` each doc it gives a score first; returns
 * what one reference match would add. A part no paper has still counts in the reference
 * (at the highest idf), or an interest nobody wrote about would have its stray matches
 * inflated.
 */
function addPart(raw: Float64Array | null, part: Part, weight: number, index: EditionIndex): number {
  const scale = weight * (part.size > 0 ? index.idfByDf[part.size]! : index.maxIdf);
  if (raw) {
    const { docs, strengths } = part;
    const { touched } = buffers;
    let count = touchedCount;
    for (let i = 0; i < part.size; i++) {
      const doc = docs[i]!;
      const before = raw[doc]!;
      const after = before + scale * strengths[i]!;
      raw[doc] = after;
      // Every part adds, never takes away: a doc is listed once, when it leaves zero.
      if (before === 0 && after !== 0) touched[count++] = doc;
    }
    touchedCount = count;
  }
  return scale * referenceScore();
}

export function scoreInterest(index: EditionIndex, text: string): InterestScores {
  const key = text.trim().toLowerCase();
  const cached = index.cache.get(key);
  if (cached) return cached;

  const total = index.total;
  // "image & video editing" reads as "image editing" and "video editing": a paper gets
  // the credit of every reading it matches, as it would for words of one reading.
  const queries = queriesOf(index, text);
  // One buffer for the cached vectors, not one each: a typed array's own backing store
  // is memory outside the heap that the collector tracks object by object, and
  // allocating them was a tenth of a new interest's cost at thousands of candidates.
  const buffer = index.cache.buffer(total * (queries.length > 1 ? 6 : 5));
  const scores = new Float32Array(buffer, 0, total);
  const evidence = new Uint8Array(buffer, total * 4, total);
  const reading = queries.length > 1 ? new Uint8Array(buffer, total * 5, total) : null;
  // What the readings scored, so the best matches are looked for among those docs rather
  // than among every doc of the edition.
  const scored = scoredDocs(total);
  queries.forEach((query, position) => {
    scoreQuery(index, query, scores, evidence, reading, position, scored);
  });
  // Both kinds of feedback learn from the same best matches of the interest as written.
  // One reading found the candidates while it scored; several are summed first.
  let top: number[];
  if (reading) {
    const docs = scored.docs.subarray(0, scored.size);
    top = bestMatches(scores, docs);
    for (let k = 0; k < docs.length; k++) scored.listed[docs[k]!] = 0;
  } else top = bestMatches(scores, scored.strong.subarray(0, scored.strongSize), scored.best);
  applyPseudoRelevanceFeedback(index, queries, top, scores, evidence);
  applyDocumentFeedback(index, top.slice(0, PARAMS.similarDocs), scores, evidence);

  const result = { scores, evidence, readings: queries.map((query) => query.text), reading, verdicts: null };
  index.cache.set(key, result);
  return result;
}

/**
 * Adds one reading's scores to `scores`; `evidence` keeps each doc's strongest, `reading`
 * where it came from, and `scored` lists every doc it scored (each once).
 */
function scoreQuery(
  index: EditionIndex,
  query: InterestQuery,
  scores: Float32Array,
  evidence: Uint8Array,
  reading: Uint8Array | null,
  position: number,
  scored: ScoredDocs,
): void {
  const total = index.total;
  const units = buildUnits(index, query);
  const { raw, present, exact } = scratch(total);
  let ideal = 0;
  units.forEach((unit, u) => {
    const part = unitPart(index, unit);
    const topicality = 1 + PARAMS.topicality * (part.size > 0 ? part.titled / part.size : 0);
    ideal += addPart(query.counted?.[u] ? null : raw, part, topicality, index);
    markPresent(unit, present);
  });
  for (let u = 0; u + 1 < units.length; u++) {
    const { phrase, near } = pairParts(index, units[u]!, units[u + 1]!, exact);
    ideal += addPart(raw, phrase, PARAMS.phraseWeight, index);
    ideal += addPart(raw, near, PARAMS.proximityWeight, index);
  }
  const { touched } = buffers;
  if (ideal <= 0) {
    for (let k = 0; k < touchedCount; k++) raw[touched[k]!] = 0;
    rawInUse = false;
    return;
  }
  const pairs = Math.max(0, units.length - 1);
  const { listed, docs, strong } = scored;
  let size = scored.size;
  let { best, strongSize } = scored;
  const strongScore = PARAMS.prfMinScore;
  // Only the docs a part reached (a third of the edition, typically), not every doc: each
  // doc's arithmetic is its own, so their order changes nothing.
  for (let k = 0; k < touchedCount; k++) {
    const doc = touched[k]!;
    const value = raw[doc]!;
    // Left zeroed for the next reading: only the docs listed were ever set.
    raw[doc] = 0;
    if (value <= 0) continue;
    scores[doc]! += value / ideal;
    const found = present[doc] === units.length && exact[doc] === pairs ? EVIDENCE.phrase : EVIDENCE.words;
    if (found > evidence[doc]!) {
      evidence[doc] = found;
      if (reading) reading[doc] = position;
    }
    // An interest of one reading (no `reading` array) meets each doc once here, with its
    // final score before feedback: it keeps only the candidates for feedback, with no
    // list of every doc and no marks to set, read and clear. Several readings may meet a
    // doc again, and the best matches are looked for once their scores are summed.
    if (reading === null) {
      // As the Float32Array holds it.
      const score = scores[doc]!;
      if (score > best) best = score;
      if (score >= strongScore) strong[strongSize++] = doc;
    } else if (listed[doc] === 0) {
      listed[doc] = 1;
      docs[size++] = doc;
    }
  }
  rawInUse = false;
  scored.size = size;
  scored.best = best;
  scored.strongSize = strongSize;
}

let buffers = {
  raw: new Float64Array(0),
  present: new Uint8Array(0),
  exact: new Uint8Array(0),
  /** The docs `raw` holds a score for, in the order they got one: the first `touchedCount`. */
  touched: new Int32Array(0),
};
let touchedCount = 0;
/** Set while a reading uses `raw`: still set at the next, the last one never finished (it threw). */
let rawInUse = false;

/**
 * Zeroed working arrays for one reading, reused: allocating them per interest was most of
 * its cost. `raw` is not filled: scoreQuery zeroes the docs it listed when it is done
 * (after a reading that threw instead, it is filled here).
 */
function scratch(total: number) {
  if (buffers.raw.length < total) {
    buffers = {
      raw: new Float64Array(total),
      present: new Uint8Array(total),
      exact: new Uint8Array(total),
      touched: new Int32Array(total),
    };
  }
  // Whatever a reading that threw left in `raw` would reach the next interest's scores.
  if (rawInUse) buffers.raw.fill(0);
  rawInUse = true;
  buffers.present.fill(0, 0, total);
  buffers.exact.fill(0, 0, total);
  touchedCount = 0;
  return buffers;
}

/** What an interest's readings scored, for picking its best matches. */
interface ScoredDocs {
  /**
   * With several readings: every doc they scored, each once (the first `size`; `listed`
   * marks them, zero between interests).
   */
  docs: Int32Array;
  listed: Uint8Array;
  size: number;
  /**
   * With one reading (scored in one pass): the highest score, and the docs scoring at
   * least prfMinScore, the only ones feedback may learn from (`strongSize` of `strong`).
   */
  best: number;
  strong: Int32Array;
  strongSize: number;
}

let scoredBuffers: ScoredDocs = {
  docs: new Int32Array(0),
  listed: new Uint8Array(0),
  size: 0,
  best: 0,
  strong: new Int32Array(0),
  strongSize: 0,
};

function scoredDocs(total: number): ScoredDocs {
  if (scoredBuffers.listed.length < total) {
    scoredBuffers = {
      docs: new Int32Array(total),
      listed: new Uint8Array(total),
      size: 0,
      best: 0,
      strong: new Int32Array(total),
      strongSize: 0,
    };
  }
  scoredBuffers.size = scoredBuffers.strongSize = scoredBuffers.best = 0;
  return scoredBuffers;
}
