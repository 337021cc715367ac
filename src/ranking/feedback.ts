/**
 * Learning from 👍/👎, Rocchio-style: a vote moves the subscriber's term weights towards
 * (or away from) the voted paper's descriptive terms — title, AI keywords, then summary
 * and abstract — with old evidence decaying a little at each vote on a new paper. Everything
 * is bounded (weights in [-1, 1], at most MAX_TERMS terms) so the stored JSON stays small
 * and no run of votes can take over the ranking; voting the same way twice changes nothing,
 * and switching a vote undoes the first one without ageing anything else.
 */
import type { Paper } from '../domain';
import { type EditionIndex, K1, postingOf } from './edition';
import { tokenize } from './text';

export const FEEDBACK_LIMITS = {
  maxTerms: 64,
  maxWeight: 1,
  termsPerVote: 30,
  learningRate: 0.35,
  /** A 👎 moves weights this much relative to a 👍 (Rocchio's γ/β): dislikes are less specific. */
  downShare: 0.5,
  decay: 0.95,
  minWeight: 0.02,
  /** The most a learned preference adds to (or takes from) a paper's relevance. */
  learnedMax: 5,
  specificityPower: 2,
  abstractWeight: 0.5,
};

/** Words every paper shares; learning them would only add noise. */
const GENERIC = new Set([
  'model',
  'learn',
  'task',
  'data',
  'train',
  'larg',
  'network',
  'neural',
  'system',
  'languag',
]);

export type VotablePaper = Pick<Paper, 'title' | 'abstract' | 'aiKeywords' | 'aiSummary'>;

/** The paper's top terms with weights in (0, 1], the Rocchio document vector. */
export function paperTermVector(paper: VotablePaper): Map<string, number> {
  const raw = new Map<string, number>();
  const add = (tokens: string[], weight: number) => {
    const counts = new Map<string, number>();
    // Numbers ("2", "10") say nothing about a topic.
    for (const token of tokens) {
      if (!GENERIC.has(token) && !/^\d+$/.test(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    for (const [token, count] of counts)
      raw.set(token, (raw.get(token) ?? 0) + weight * (1 + Math.log(count)));
  };
  add(tokenize(paper.title), 1);
  add(tokenize((paper.aiKeywords ?? []).join(' ; ')), 0.8);
  add(tokenize(paper.aiSummary ?? ''), 0.3);
  add(tokenize(paper.abstract ?? ''), FEEDBACK_LIMITS.abstractWeight);
  const top = [...raw].sort((a, b) => b[1] - a[1]).slice(0, FEEDBACK_LIMITS.termsPerVote);
  const max = top[0]?.[1] ?? 1;
  return new Map(top.map(([term, weight]) => [term, weight / max]));
}

export function applyFeedback(
  current: Record<string, number>,
  paper: VotablePaper,
  vote: 1 | -1,
  previousVote: 1 | -1 | null = null,
): Record<string, number> {
  // A 👍 adds the paper's vector, a 👎 takes away a smaller share of it; switching a vote
  // first undoes the previous one, and repeating a vote changes nothing.
  const effect = (v: 1 | -1 | null) => (v === 1 ? 1 : v === -1 ? -FEEDBACK_LIMITS.downShare : 0);
  const delta = effect(vote) - effect(previousVote);
  if (delta === 0) return { ...current };
  const limits = FEEDBACK_LIMITS;
  // Only a vote on a paper not voted before is new evidence that ages the old: someone
  // changing their mind back and forth on one paper would otherwise fade everything else
  // they taught us (0.95 a click, a third left after twenty).
  const decay = previousVote === null ? limits.decay : 1;
  const next = new Map<string, number>();
  for (const [term, weight] of Object.entries(current ?? {})) {
    if (Number.isFinite(weight)) next.set(term, weight * decay);
  }
  for (const [term, weight] of paperTermVector(paper)) {
    next.set(term, (next.get(term) ?? 0) + limits.learningRate * delta * weight);
  }
  const bounded = [...next]
    .map(([term, weight]) => [term, Math.max(-limits.maxWeight, Math.min(limits.maxWeight, weight))] as const)
    .filter(([, weight]) => Math.abs(weight) >= limits.minWeight)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, limits.maxTerms);
  return Object.fromEntries(bounded.map(([term, weight]) => [term, Math.round(weight * 1000) / 1000]));
}

export interface Vote<P extends VotablePaper = VotablePaper> {
  paper: P;
  vote: 1 | -1;
}

/**
 * The weights a run of votes leaves behind, one vote at a time exactly as the feedback
 * POST applies them (each paper voted once, so there is no previous vote to undo).
 */
export function learnFromVotes(
  current: Record<string, number>,
  votes: readonly Vote[],
): Record<string, number> {
  return votes.reduce((weights, { paper, vote }) => applyFeedback(weights, paper, vote), current);
}

const MAX_LEARNED_TERMS = 64;
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

let learnedBuffer = new Float64Array(0);

/**
 * Learned preference per paper: Σ weight × saturation × specificity of the subscriber's
 * learned terms, squashed into ±LEARNED_MAX so feedback nudges but never drowns interests.
 * The array is reused by the next call (the ranking reads it only while it runs): a fresh
 * 8 bytes per candidate for every subscriber who voted was memory the system had to
 * fault in anew each time, ~50 µs at 3,000 candidates.
 */
export function learnedScores(index: EditionIndex, weights: Record<string, number>): Float64Array | null {
  const entries = Object.entries(weights ?? {})
    .filter(([, weight]) => Number.isFinite(weight) && weight !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, MAX_LEARNED_TERMS);
  if (entries.length === 0) return null;
  if (learnedBuffer.length < index.total) learnedBuffer = new Float64Array(index.total);
  const raw = learnedBuffer.subarray(0, index.total);
  raw.fill(0);
  let mass = 0;
  for (const [term, weight] of entries) {
    const posting = postingOf(index, term);
    const specificity = posting ? index.idfByDf[posting.docs.length]! / index.maxIdf : 1;
    const w = clamp(weight, -1, 1) * specificity ** FEEDBACK_LIMITS.specificityPower;
    mass += Math.abs(w);
    if (!posting) continue;
    for (let i = 0; i < posting.docs.length; i++) {
      const tf = posting.tfs[i]!;
      raw[posting.docs[i]!]! += w * (tf / (K1 + tf));
    }
  }
  // Normalised by the profile's mass: a paper sharing every learned term scores learnedMax.
  for (let doc = 0; doc < raw.length; doc++) raw[doc] = (FEEDBACK_LIMITS.learnedMax * raw[doc]!) / mass;
  return raw;
}
