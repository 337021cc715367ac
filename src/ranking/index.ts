/**
 * Ranking entry point (digest issue). CONTRACT used by the delivery consumer; the
 * implementation is a placeholder to be replaced by the real BM25-based ranker.
 */
import type { Paper, Subscriber } from '../domain';
import { type Interests, parseInterests } from '../subscriptions/interests';

export interface RankedPaper {
  paper: Paper;
  score: number;
  /** Short human reasons: "matches “diffusion models”", "by Yann LeCun", "trending: 120 upvotes". */
  why: string[];
}

export interface RankProfile {
  interests: Interests;
  termWeights: Record<string, number>;
  trendingMix: number;
  digestSize: number;
  alwaysSend: boolean;
}

/** Built once per edition from its candidate papers; scoring per subscriber reuses it. */
export interface EditionIndex {
  papers: Paper[];
}

export interface RankResult {
  papers: RankedPaper[];
  /** Set when nothing is relevant or trending enough and the subscriber did not ask for "always send". */
  skipReason: string | null;
}

export function profileFromSubscriber(subscriber: Subscriber): RankProfile {
  return {
    interests: parseInterests(subscriber.interests),
    termWeights: subscriber.termWeights,
    trendingMix: subscriber.trendingMix,
    digestSize: subscriber.digestSize,
    alwaysSend: subscriber.alwaysSend,
  };
}

export function buildEditionIndex(papers: Paper[]): EditionIndex {
  return { papers };
}

export function rankForSubscriber(
  index: EditionIndex,
  profile: RankProfile,
  options: { exclude?: ReadonlySet<string> } = {},
): RankResult {
  const papers = index.papers
    .filter((paper) => !options.exclude?.has(paper.id))
    .sort((a, b) => b.upvotes - a.upvotes)
    .slice(0, profile.digestSize)
    .map((paper) => ({ paper, score: paper.upvotes, why: [`trending: ${paper.upvotes} upvotes`] }));
  return { papers, skipReason: papers.length === 0 ? 'no new papers' : null };
}
