/**
 * Learning from 👍/👎, Rocchio-style: a vote moves the subscriber's term weights towards
 * (or away from) the voted paper's descriptive terms — title, AI keywords, then summary
 * and abstract — with old evidence decaying a little at each vote. Everything is bounded
 * (weights in [-1, 1], at most MAX_TERMS terms) so the stored JSON stays small and no run
 * of votes can take over the ranking; voting the same way twice changes nothing, and
 * switching a vote undoes the first one.
 */
import type { Paper } from '../domain';
import { findConcepts } from './concepts';
import { tokenize } from './text';

export const FEEDBACK_LIMITS = {
  maxTerms: 64,
  maxWeight: 1,
  termsPerVote: 12,
  learningRate: 0.35,
  decay: 0.95,
  minWeight: 0.02,
} as const;

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

type VotablePaper = Pick<Paper, 'title' | 'abstract' | 'aiKeywords' | 'aiSummary'>;

/** The paper's top terms with weights in (0, 1], the Rocchio document vector. */
export function paperTermVector(paper: VotablePaper): Map<string, number> {
  const raw = new Map<string, number>();
  const add = (tokens: string[], weight: number) => {
    const seen = new Set<string>();
    for (const token of tokens) {
      if (GENERIC.has(token) || seen.has(token)) continue;
      seen.add(token);
      raw.set(token, (raw.get(token) ?? 0) + weight);
    }
    for (const match of findConcepts(tokens)) {
      if (seen.has(match.concept.token)) continue;
      seen.add(match.concept.token);
      raw.set(match.concept.token, (raw.get(match.concept.token) ?? 0) + weight * 1.2);
    }
  };
  add(tokenize(paper.title), 1);
  add(tokenize((paper.aiKeywords ?? []).join(' ; ')), 0.8);
  add(tokenize(paper.aiSummary ?? ''), 0.3);
  add(tokenize(paper.abstract ?? ''), 0.25);
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
  const delta = vote - (previousVote ?? 0);
  if (delta === 0) return { ...current };
  const limits = FEEDBACK_LIMITS;
  const next = new Map<string, number>();
  for (const [term, weight] of Object.entries(current ?? {})) {
    if (Number.isFinite(weight)) next.set(term, weight * limits.decay);
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

export interface Vote {
  paper: VotablePaper;
  vote: 1 | -1;
}

/**
 * The weights a run of votes leaves behind, one vote at a time exactly as the feedback
 * POST applies them (each paper voted once, so there is no previous vote to undo).
 */
export function learnFromVotes(current: Record<string, number>, votes: readonly Vote[]): Record<string, number> {
  return votes.reduce((weights, { paper, vote }) => applyFeedback(weights, paper, vote), current);
}
