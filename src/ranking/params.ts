/**
 * The interest scorer's parameters, in one place because the scorer (interest.ts), its
 * word and pair parts (units.ts) and its feedback rounds (expansion.ts) all read them.
 * Every value was chosen on the judged dev set and checked on the other judged sets
 * (`npm run eval:relevance`; BENCHMARKS.md shows the ablations).
 */
import { FIELD_COUNT, FIELDS, saturate, TITLE } from './edition';

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
export const referenceScore = () =>
  FIELDS[TITLE]!.weight * saturate(1) + FIELDS[ABSTRACT]!.weight * saturate(1);
/** The same mentions as one BM25F pseudo frequency (postings store those). */
export const referenceTf = () => FIELDS[TITLE]!.weight + FIELDS[ABSTRACT]!.weight;
