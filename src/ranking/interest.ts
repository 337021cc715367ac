/**
 * Scores one interest phrase against every paper of an edition. The phrase becomes a
 * query of principal terms (its concepts and remaining words, idf-weighted; the score is
 * the idf-weighted share of them a paper covers, saturated BM25F-style), soft terms
 * (the words under a concept, related concepts) that add capped credit, a phrase and
 * proximity bonus (exact phrase in the title beats the abstract beats scattered words),
 * and one round of pseudo-relevance feedback from the best matches. Scores are absolute
 * (roughly 0 = unrelated, 1 = squarely on topic), so one edition's best match for an
 * interest nobody wrote about stays low.
 */
import { type Concept, conceptByToken, findConcepts } from './concepts';
import { BOUNDARY, type EditionIndexData, type InterestScores } from './edition';
import { tokenize } from './text';

interface WeightedTerm {
  term: string;
  weight: number;
}

export interface InterestQuery {
  principal: WeightedTerm[];
  soft: WeightedTerm[];
  /** The stemmed words as typed, for the phrase bonus (only when two or more). */
  phrase: string[];
}

const SOFT_CAP = 0.55;
const PRF_CAP = 0.2;
const PRF_DOCS = 3;
const PRF_TERMS = 6;
const PRF_WEIGHT = 0.12;
const PRF_MIN_SCORE = 0.4;

export function buildQuery(text: string): InterestQuery {
  const tokens = tokenize(text);
  const matches = findConcepts(tokens);
  // Keep maximal matches only: "vision language model" wins over "language model" inside it.
  const maximal = matches.filter(
    (match) =>
      !matches.some(
        (other) =>
          other !== match &&
          other.length > match.length &&
          other.start <= match.start &&
          other.start + other.length >= match.start + match.length,
      ),
  );
  const covered = new Set<number>();
  const principal = new Map<string, number>();
  const soft = new Map<string, number>();
  const addSoft = (term: string, weight: number) => soft.set(term, Math.max(soft.get(term) ?? 0, weight));
  const concepts: Concept[] = [];
  for (const match of maximal) {
    principal.set(match.concept.token, 1);
    concepts.push(match.concept);
    for (let offset = 0; offset < match.length; offset++) covered.add(match.start + offset);
    // The words under a multi-word concept earn partial credit ("human feedback" for RLHF).
    if (match.length > 1) {
      for (let offset = 0; offset < match.length; offset++) addSoft(tokens[match.start + offset]!, 0.15);
    }
  }
  tokens.forEach((token, position) => {
    if (!covered.has(position)) principal.set(token, 1);
  });
  for (const concept of concepts) {
    for (const related of concept.related) {
      if (related.token) addSoft(related.token, related.weight);
      else if (related.phrase) {
        for (const word of related.phrase)
          addSoft(word, related.weight / Math.max(1, related.phrase.length - 0.5));
      }
    }
  }
  for (const term of principal.keys()) soft.delete(term);
  return {
    principal: [...principal].map(([term, weight]) => ({ term, weight })),
    soft: [...soft].map(([term, weight]) => ({ term, weight })),
    phrase: tokens.length >= 2 ? tokens : [],
  };
}

function containsPhrase(haystack: readonly string[], phrase: readonly string[]): boolean {
  const first = phrase[0];
  outer: for (let start = 0; start + phrase.length <= haystack.length; start++) {
    if (haystack[start] !== first) continue;
    for (let offset = 1; offset < phrase.length; offset++) {
      if (haystack[start + offset] !== phrase[offset]) continue outer;
    }
    return true;
  }
  return false;
}

/** Smallest window of `haystack` holding every distinct word of `phrase`, or Infinity. */
function minimalWindow(haystack: readonly string[], phrase: readonly string[]): number {
  const wanted = new Set(phrase);
  const counts = new Map<string, number>();
  let have = 0;
  let best = Number.POSITIVE_INFINITY;
  let left = 0;
  for (let right = 0; right < haystack.length; right++) {
    const token = haystack[right]!;
    if (token === BOUNDARY) {
      counts.clear();
      have = 0;
      left = right + 1;
      continue;
    }
    if (!wanted.has(token)) continue;
    const count = (counts.get(token) ?? 0) + 1;
    counts.set(token, count);
    if (count === 1) have++;
    while (have === wanted.size) {
      best = Math.min(best, right - left + 1);
      const leftToken = haystack[left]!;
      if (wanted.has(leftToken)) {
        const leftCount = counts.get(leftToken)! - 1;
        counts.set(leftToken, leftCount);
        if (leftCount === 0) have--;
      }
      left++;
    }
  }
  return best;
}

function phraseBonus(index: EditionIndexData, doc: number, phrase: readonly string[]): number {
  const features = index.docs[doc]!;
  if (containsPhrase(features.title, phrase)) return 0.25;
  if (containsPhrase(features.keywords, phrase)) return 0.18;
  if (containsPhrase(features.body, phrase)) return 0.1;
  if (minimalWindow(features.title, phrase) <= phrase.length + 2) return 0.1;
  if (minimalWindow(features.body, phrase) <= phrase.length + 3) return 0.05;
  return 0;
}

function accumulate(
  index: EditionIndexData,
  terms: readonly WeightedTerm[],
  target: Float64Array,
  scale: (idf: number) => number,
): void {
  for (const { term, weight } of terms) {
    const posting = index.postings.get(term);
    if (!posting) continue;
    const factor = weight * scale(posting.idf);
    for (let i = 0; i < posting.docs.length; i++) target[posting.docs[i]!]! += factor * posting.sats[i]!;
  }
}

export function scoreInterest(index: EditionIndexData, text: string): InterestScores {
  const key = text.trim().toLowerCase();
  const cached = index.interestCache.get(key);
  if (cached) return cached;

  const total = index.papers.length;
  const query = buildQuery(text);
  const idfOf = (term: string) => index.postings.get(term)?.idf ?? index.maxIdf;
  const denominator = query.principal.reduce((sum, { term, weight }) => sum + weight * idfOf(term), 0);
  const meanPrincipalIdf =
    query.principal.length > 0 ? denominator / query.principal.reduce((sum, t) => sum + t.weight, 0) : 1;

  const direct = new Float64Array(total);
  const soft = new Float64Array(total);
  if (denominator > 0) {
    accumulate(index, query.principal, direct, (idf) => idf / denominator);
    accumulate(index, query.soft, soft, (idf) => Math.min(1, idf / meanPrincipalIdf));
  }
  const scores = new Float64Array(total);
  for (let doc = 0; doc < total; doc++) {
    if (direct[doc]! > 0 && query.phrase.length >= 2) direct[doc]! += phraseBonus(index, doc, query.phrase);
    scores[doc] = direct[doc]! + Math.min(SOFT_CAP, soft[doc]!);
  }

  // Pseudo-relevance feedback: terms shared by the best matches pull in their neighbours.
  const feedbackDocs = [...scores.keys()]
    .filter((doc) => direct[doc]! >= PRF_MIN_SCORE)
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, PRF_DOCS);
  // One document is not a consensus: expanding from it would drift towards whatever else it says.
  if (feedbackDocs.length >= 2) {
    const queryTerms = new Set([...query.principal, ...query.soft].map((t) => t.term));
    const candidates = new Map<string, { weight: number; docs: number }>();
    for (const doc of feedbackDocs) {
      for (const [term, sat] of index.docs[doc]!.terms) {
        if (queryTerms.has(term)) continue;
        const posting = index.postings.get(term)!;
        // Terms in most papers of the edition say nothing; single-paper terms are noise.
        if (posting.docs.length < 2 || posting.docs.length > total / 3) continue;
        const entry = candidates.get(term) ?? { weight: 0, docs: 0 };
        entry.weight += sat * posting.idf;
        entry.docs++;
        candidates.set(term, entry);
      }
    }
    const needDocs = 2;
    const expansion = [...candidates]
      .filter(([, entry]) => entry.docs >= needDocs)
      .sort((a, b) => b[1].weight - a[1].weight)
      .slice(0, PRF_TERMS)
      .map(([term]) => ({ term, weight: PRF_WEIGHT }));
    if (expansion.length > 0) {
      const expanded = new Float64Array(total);
      accumulate(index, expansion, expanded, (idf) => Math.min(1, idf / meanPrincipalIdf));
      for (let doc = 0; doc < total; doc++) scores[doc]! += Math.min(PRF_CAP, expanded[doc]!);
    }
  }

  const result = { scores, direct };
  index.interestCache.set(key, result);
  return result;
}

/** A human label for the strongest concept behind a query term, for debugging output. */
export function describeTerm(term: string): string {
  return conceptByToken(term)?.id ?? term;
}
