/**
 * The two feedback rounds of an interest's score, both learning from its best matches in
 * the edition: RM3-style term expansion (the words those papers share lend credit to other
 * papers using them) and document-level feedback (papers like one of them, by their
 * signatures, gain a share of that likeness). What either adds is evidence "related to",
 * never "matches". Working arrays are reused across interests, as the scorer's are.
 */
import { EVIDENCE } from './cache';
import { type EditionIndex, FIELD_COUNT, isGap, SIGNATURE_TERMS, saturate, topDocs } from './edition';
import { PARAMS, referenceTf } from './params';
import type { InterestQuery } from './query';

let termBuffers = {
  weight: new Float64Array(0),
  docs: new Int32Array(0),
  stamp: new Uint32Array(0),
  /** Per candidate term (not per term id): its expansion weight. */
  value: new Float64Array(0),
  /** The terms a round met, then (compacted in place) the candidates among them. */
  found: new Int32Array(0),
};
let stampNow = 0;

/**
 * Per-term working arrays for the expansion, reused. A term's entries count only when its
 * stamp is the current round's (`stampNow` once this returns), so nothing has to be zeroed
 * after a round. The arrays are returned as they are: copying them with the stamp into a
 * new object every round was about 1% of ranking a subscriber at 3,000 candidates.
 */
function termScratch(count: number) {
  if (termBuffers.weight.length < count) {
    termBuffers = {
      weight: new Float64Array(count),
      docs: new Int32Array(count),
      stamp: new Uint32Array(count),
      value: new Float64Array(count),
      found: new Int32Array(count),
    };
    stampNow = 0;
  }
  stampNow = stampNow === 0xffffffff ? 1 : stampNow + 1;
  if (stampNow === 1) termBuffers.stamp.fill(0);
  return termBuffers;
}

let extraBuffer = new Float64Array(0);

/** A zeroed per-doc array for what a feedback round adds, reused like the other scratch arrays. */
function extraScratch(total: number): Float64Array {
  if (extraBuffer.length < total) extraBuffer = new Float64Array(total);
  extraBuffer.fill(0, 0, total);
  return extraBuffer;
}

let vocabulary = {
  /** Per term id: the round it was last seen in, and how often it occurs in that round's doc. */
  seenIn: new Int32Array(0),
  countOf: new Uint16Array(0),
  /** The round's distinct terms, in order of first occurrence. */
  terms: new Int32Array(0),
};
let vocabularyRound = 0;

/**
 * A doc's distinct terms in order of first occurrence (`vocabulary.terms`, as many as
 * returned) and how often each occurs (`vocabulary.countOf`, by term id), from its token
 * streams, into reused arrays (valid until the next call). Made when the expansion reads
 * one of its best matches rather than kept for every paper with the index: 6 bytes a
 * posting, 6 MB at 10,000 candidates, for the few papers an interest learns from.
 */
function vocabularyOf(index: EditionIndex, doc: number): number {
  const { docTerms, fieldStarts } = index;
  const termsInEdition = index.terms.size;
  const from = fieldStarts[doc * FIELD_COUNT]!;
  const to = fieldStarts[(doc + 1) * FIELD_COUNT]!;
  if (vocabulary.seenIn.length < index.terms.size || vocabulary.terms.length < to - from) {
    const termCount = Math.max(vocabulary.seenIn.length, index.terms.size);
    vocabulary = {
      seenIn: new Int32Array(termCount),
      countOf: new Uint16Array(termCount),
      terms: new Int32Array(Math.max(vocabulary.terms.length, to - from)),
    };
    vocabularyRound = 0;
  }
  if (vocabularyRound === 0x7fffffff) {
    vocabulary.seenIn.fill(0);
    vocabularyRound = 0;
  }
  const round = ++vocabularyRound;
  const { seenIn, countOf, terms } = vocabulary;
  let size = 0;
  for (let position = from; position < to; position++) {
    const id = docTerms[position]!;
    if (isGap(id, termsInEdition)) continue;
    if (seenIn[id] !== round) {
      seenIn[id] = round;
      countOf[id] = 1;
      terms[size++] = id;
    } else if (countOf[id]! < 65_535) countOf[id]!++;
  }
  return size;
}

/** What a query term's paper count is set to: below zero, it never counts as recurring. */
const QUERY_TERM = -0x40000000;

/**
 * The papers feedback learns from: at most prfDocs, scoring at least max(min, relative ×
 * best). `scored` lists every doc that may qualify (every doc with a score, or every doc
 * scoring at least the min), so the edition's other docs are not scanned twice for each
 * new interest; `best`, when the caller knows it, is the highest score of all.
 */
export function bestMatches(scores: Float32Array, scored: ArrayLike<number>, best?: number): number[] {
  let highest = best ?? 0;
  if (best === undefined)
    for (let k = 0; k < scored.length; k++) highest = Math.max(highest, scores[scored[k]!]!);
  return topDocs(scores, PARAMS.prfDocs, Math.max(PARAMS.prfMinScore, PARAMS.prfRelative * highest), scored);
}

/**
 * RM3-style expansion: the terms that recur in the best-scoring papers (frequent in them,
 * rare in the edition) become a second, weaker query whose normalised score takes a
 * fixed share of the final one. Terms of a single paper are that paper's subject, not
 * the interest's, so a term must recur across them.
 */
export function applyPseudoRelevanceFeedback(
  index: EditionIndex,
  queries: readonly InterestQuery[],
  top: readonly number[],
  scores: Float32Array,
  evidence: Uint8Array,
): void {
  const total = index.total;
  if (top.length < PARAMS.prfMinDocs) return;

  const { weight, docs, stamp, value: values, found } = termScratch(index.terms.size);
  const now = stampNow;
  // The interest's own words are not an expansion of it: stamped with a count no number
  // of papers reaches (a Set lookup per position of the best papers was most of this
  // function's cost).
  const mark = (token: string) => {
    const id = index.terms.get(token);
    if (id !== undefined) {
      stamp[id] = now;
      docs[id] = QUERY_TERM;
    }
  };
  for (const reading of queries) {
    for (const token of reading.tokens) mark(token);
    for (const span of reading.spans)
      for (const form of span.forms) for (const token of form.tokens) mark(token);
  }
  let touched = 0;
  for (const doc of top) {
    const share = scores[doc]! / index.docLengths[doc]!;
    const size = vocabularyOf(index, doc);
    const { terms, countOf } = vocabulary;
    for (let k = 0; k < size; k++) {
      const id = terms[k]!;
      if (stamp[id] !== now) {
        stamp[id] = now;
        docs[id] = 1;
        weight[id] = share * countOf[id]!;
        found[touched++] = id;
      } else if (docs[id]! > 0) {
        docs[id]!++;
        weight[id]! += share * countOf[id]!;
      }
    }
  }
  const { idfByDf } = index;
  const df = (id: number) => index.termPostings[id + 1]! - index.termPostings[id]!;
  let count = 0;
  for (let k = 0; k < touched; k++) if (docs[found[k]!]! >= PARAMS.prfMinDocs) found[count++] = found[k]!;
  const candidates = found.subarray(0, count);
  const value = values.subarray(0, count);
  for (let k = 0; k < candidates.length; k++) {
    const id = candidates[k]!;
    value[k] = weight[id]! * idfByDf[df(id)]!;
  }
  const expansion = topDocs(value, PARAMS.prfTerms, Number.MIN_VALUE).map((k) => ({
    id: candidates[k]!,
    weight: value[k]!,
  }));
  if (expansion.length === 0) return;

  const mass = expansion.reduce((sum, term) => sum + term.weight, 0);
  const extra = extraScratch(total);
  // The index's arrays in locals: read through `index` in the loop, their loads were
  // repeated for every posting.
  const { termPostings, postingDocs, postingTfs } = index;
  let ideal = 0;
  for (const term of expansion) {
    const scale = (term.weight / mass) * idfByDf[df(term.id)]!;
    ideal += scale * saturate(referenceTf());
    const end = termPostings[term.id + 1]!;
    for (let posting = termPostings[term.id]!; posting < end; posting++) {
      extra[postingDocs[posting]!]! += scale * saturate(postingTfs[posting]!);
    }
  }
  const share = PARAMS.prfShare;
  const keep = 1 - share;
  for (let doc = 0; doc < total; doc++) {
    const added = extra[doc]!;
    // Most papers have none of the expansion terms: no division for them (adding 0 is exact).
    if (added === 0) {
      scores[doc] = keep * scores[doc]!;
      continue;
    }
    scores[doc] = keep * scores[doc]! + (share * added) / ideal;
    if (added > 0 && evidence[doc] === EVIDENCE.none) evidence[doc] = EVIDENCE.related;
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
export function applyDocumentFeedback(
  index: EditionIndex,
  top: readonly number[],
  scores: Float32Array,
  evidence: Uint8Array,
): void {
  if (PARAMS.similarShare <= 0 || top.length === 0) return;
  const total = index.total;
  const extra = extraScratch(total);
  const { signatureTerms, signatureWeights, idfByDf, termPostings, postingDocs, postingTfs } = index;
  for (const source of top) {
    const from = source * SIGNATURE_TERMS;
    let self = 0;
    for (let k = from; k < from + SIGNATURE_TERMS && signatureTerms[k]! >= 0; k++)
      self += signatureWeights[k]! ** 2;
    if (self <= 0) continue;
    for (let k = from; k < from + SIGNATURE_TERMS && signatureTerms[k]! >= 0; k++) {
      const id = signatureTerms[k]!;
      const start = termPostings[id]!;
      const end = termPostings[id + 1]!;
      const scale = (scores[source]! * signatureWeights[k]! * idfByDf[end - start]!) / (self * top.length);
      for (let posting = start; posting < end; posting++) {
        const doc = postingDocs[posting]!;
        if (doc === source) continue;
        extra[doc]! += scale * saturate(postingTfs[posting]!);
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
