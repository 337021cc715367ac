/**
 * Ranking entry point, the contract the delivery consumer and the preview CLI use: build
 * an index once per edition, then rank it for each subscriber in microseconds. Relevance
 * combines every interest (the best match counts fully, further matches add a little, so
 * one matched interest is enough), followed authors, arXiv categories and the terms the
 * subscriber taught us with 👍/👎; it is normalised per edition and blended with trending
 * (log upvotes, normalised per edition) by the subscriber's trending mix. A digest holds
 * relevant papers plus at most `trendingMix × size` trending ones; when nothing clears the
 * floors the result carries a skip reason instead, unless the subscriber asked to always
 * receive a digest.
 */
import type { Paper, Subscriber } from '../domain';
import { type Interests, parseInterests } from '../subscriptions/interests';
import { type AuthorKey, authorKey, authorsMatch, buildIndexData, type EditionIndexData } from './edition';
import { scoreInterest } from './interest';

export interface RankedPaper {
  paper: Paper;
  score: number;
  /** Short human reasons: "matches “diffusion models”", "by Yann LeCun", "trending: 120 upvotes". */
  why: string[];
  /** Relevance before blending, normalised per edition (0 = unrelated, 1 = best match). */
  relevance?: number;
  /** Normalised log upvotes within the edition. */
  trending?: number;
}

export interface RankProfile {
  interests: Interests;
  termWeights: Record<string, number>;
  trendingMix: number;
  digestSize: number;
  alwaysSend: boolean;
}

/** Built once per edition from its candidate papers; scoring per subscriber reuses it. */
export interface EditionIndex extends EditionIndexData {
  papers: Paper[];
}

export interface RankResult {
  papers: RankedPaper[];
  /** Set when nothing is relevant or trending enough and the subscriber did not ask for "always send". */
  skipReason: string | null;
}

export interface RankOptions {
  /** Papers already sent to this subscriber. */
  exclude?: ReadonlySet<string>;
  /** Return every candidate, best first (the preview CLI), instead of the digest selection. */
  full?: boolean;
}

/** A paper is relevant when its raw relevance clears this (about one abstract mention of a rare term). */
export const RELEVANCE_FLOOR = 0.22;
/** Fewer upvotes than this is not "trending", whatever the rest of the edition looks like. */
export const TRENDING_MIN_UPVOTES = 5;
/** Relevance is divided by max(best in edition, this), so weak editions are not inflated. */
const NORMALISATION_FLOOR = 0.6;
const SECONDARY_INTEREST_SHARE = 0.2;
const AUTHOR_BOOST = 0.6;
const PRIMARY_CATEGORY_BOOST = 0.3;
const CATEGORY_BOOST = 0.2;
const CATEGORY_TOPIC_SHARE = 0.6;
const LEARNED_MAX = 0.35;
const MAX_LEARNED_TERMS = 64;

/**
 * What an arXiv category means in words, so category interests also match papers that
 * came without categories (Hugging Face lists carry none).
 */
const CATEGORY_TOPICS: Record<string, string> = {
  'cs.CL': 'natural language processing language model',
  'cs.CV': 'computer vision image video',
  'cs.LG': 'machine learning',
  'cs.AI': 'artificial intelligence agent reasoning',
  'cs.RO': 'robot',
  'cs.SD': 'audio speech',
  'eess.AS': 'speech audio',
  'eess.IV': 'image processing',
  'cs.IR': 'information retrieval recommendation',
  'cs.CR': 'security privacy',
  'cs.HC': 'human computer interaction user study',
  'cs.SE': 'software engineering code',
  'cs.GR': 'graphics rendering 3d',
  'cs.MA': 'multiagent',
  'cs.NE': 'neural evolutionary',
  'cs.DC': 'distributed systems training inference',
  'stat.ML': 'machine learning statistical',
  'q-bio.BM': 'protein molecule',
};

export function profileFromSubscriber(subscriber: Subscriber): RankProfile {
  return {
    interests: parseInterests(subscriber.interests),
    termWeights: subscriber.termWeights ?? {},
    trendingMix: subscriber.trendingMix,
    digestSize: subscriber.digestSize,
    alwaysSend: subscriber.alwaysSend,
  };
}

export function buildEditionIndex(papers: Paper[]): EditionIndex {
  return buildIndexData(papers);
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

function categoryMatches(wanted: string, paperCategory: string): boolean {
  const want = wanted.toLowerCase();
  const have = paperCategory.toLowerCase();
  return want === have || (!want.includes('.') && have.startsWith(`${want}.`));
}

interface Scored {
  doc: number;
  score: number;
  relevanceRaw: number;
  relevance: number;
  trending: number;
  learned: number;
  matched: { phrase: string; score: number; direct: number }[];
  author: string | null;
  category: string | null;
}

export function rankForSubscriber(
  index: EditionIndex,
  profile: RankProfile,
  options: RankOptions = {},
): RankResult {
  const total = index.papers.length;
  const { phrases, categories, authors } = profile.interests;
  const hasInterests = phrases.length + categories.length + authors.length > 0;
  const mix = hasInterests ? clamp(profile.trendingMix, 0, 1) : 1;
  const interestVectors = phrases.map((phrase) => ({ phrase, ...scoreInterest(index, phrase) }));
  const categoryVectors = categories
    .filter((category) => CATEGORY_TOPICS[category])
    .map((category) => scoreInterest(index, CATEGORY_TOPICS[category]!).scores);
  const wantedAuthors: AuthorKey[] = authors.map(authorKey);
  const learned = learnedScores(index, profile.termWeights);

  const scored: Scored[] = [];
  let maxRelevance = 0;
  for (let doc = 0; doc < total; doc++) {
    const paper = index.papers[doc]!;
    if (options.exclude?.has(paper.id)) continue;
    let best = 0;
    let sum = 0;
    const matched: Scored['matched'] = [];
    for (const vector of interestVectors) {
      const score = vector.scores[doc]!;
      sum += score;
      if (score > best) best = score;
      if (score >= RELEVANCE_FLOOR)
        matched.push({ phrase: vector.phrase, score, direct: vector.direct[doc]! });
    }
    for (const vector of categoryVectors) {
      const score = CATEGORY_TOPIC_SHARE * vector[doc]!;
      sum += score;
      if (score > best) best = score;
    }
    let relevanceRaw = best + SECONDARY_INTEREST_SHARE * (sum - best);

    const features = index.docs[doc]!;
    let author: string | null = null;
    for (const wanted of wantedAuthors) {
      const hit = features.authors.find((candidate) => authorsMatch(wanted, candidate));
      if (hit) {
        author = hit.display;
        break;
      }
    }
    if (author) relevanceRaw += AUTHOR_BOOST;
    let category: string | null = null;
    for (const wanted of categories) {
      const position = features.categories.findIndex((have) => categoryMatches(wanted, have));
      if (position >= 0) {
        category = features.categories[position]!;
        relevanceRaw += position === 0 ? PRIMARY_CATEGORY_BOOST : CATEGORY_BOOST;
        break;
      }
    }
    const learnedScore = learned ? learned[doc]! : 0;
    relevanceRaw += learnedScore;
    if (relevanceRaw > maxRelevance) maxRelevance = relevanceRaw;
    matched.sort((a, b) => b.score - a.score);
    scored.push({
      doc,
      score: 0,
      relevanceRaw,
      relevance: 0,
      trending: index.trending[doc]!,
      learned: learnedScore,
      matched,
      author,
      category,
    });
  }

  const normaliser = Math.max(maxRelevance, NORMALISATION_FLOOR);
  for (const item of scored) {
    item.relevance = hasInterests ? clamp(item.relevanceRaw / normaliser, -1, 1.5) : 0;
    const learnedOnly = hasInterests ? 0 : item.learned;
    item.score = (1 - mix) * item.relevance + mix * item.trending + learnedOnly;
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.relevanceRaw - a.relevanceRaw ||
      index.papers[b.doc]!.upvotes - index.papers[a.doc]!.upvotes ||
      (index.papers[a.doc]!.id < index.papers[b.doc]!.id ? -1 : 1),
  );

  const isRelevant = (item: Scored) => hasInterests && item.relevanceRaw >= RELEVANCE_FLOOR;
  const isTrending = (item: Scored) => (index.papers[item.doc]!.upvotes ?? 0) >= TRENDING_MIN_UPVOTES;

  if (options.full) {
    return {
      papers: scored.map((item) => toRanked(index, item, isTrending(item) && item.trending >= 0.5)),
      skipReason: scored.length === 0 ? 'no new papers' : null,
    };
  }

  const size = Math.max(1, profile.digestSize);
  const trendingSlots = hasInterests ? Math.round(mix * size) : size;
  const chosen: RankedPaper[] = [];
  let trendingTaken = 0;
  for (const item of scored) {
    if (chosen.length >= size) break;
    if (isRelevant(item)) {
      chosen.push(toRanked(index, item, isTrending(item) && item.trending >= 0.6));
    } else if (mix > 0 && isTrending(item) && trendingTaken < trendingSlots && item.learned > -0.1) {
      trendingTaken++;
      chosen.push(toRanked(index, item, true));
    }
  }
  if (scored.length === 0) return { papers: [], skipReason: 'no new papers' };
  if (chosen.length === 0) {
    if (!profile.alwaysSend) {
      return {
        papers: [],
        skipReason: hasInterests
          ? 'nothing matched your interests and nothing was trending'
          : 'nothing was trending',
      };
    }
    return {
      papers: scored.slice(0, size).map((item) => {
        const ranked = toRanked(index, item, isTrending(item));
        if (ranked.why.length === 0) ranked.why.push('newest in this edition');
        return ranked;
      }),
      skipReason: null,
    };
  }
  return { papers: chosen, skipReason: null };
}

function toRanked(index: EditionIndex, item: Scored, trending: boolean): RankedPaper {
  const paper = index.papers[item.doc]!;
  const why: string[] = [];
  for (const match of item.matched.slice(0, 2)) {
    why.push(match.direct >= RELEVANCE_FLOOR ? `matches “${match.phrase}”` : `related to “${match.phrase}”`);
  }
  if (item.author) why.push(`by ${item.author}`);
  if (item.category) why.push(`in ${item.category}`);
  if (item.learned >= 0.05) why.push('like papers you 👍');
  if (trending && paper.upvotes >= TRENDING_MIN_UPVOTES) why.push(`trending: ${paper.upvotes} upvotes`);
  return {
    paper,
    score: Math.round(item.score * 10_000) / 10_000,
    why,
    relevance: Math.round(item.relevance * 10_000) / 10_000,
    trending: Math.round(item.trending * 10_000) / 10_000,
  };
}

/**
 * Learned preference per paper: Σ weight × saturation × specificity of the subscriber's
 * learned terms, squashed into ±LEARNED_MAX so feedback nudges but never drowns interests.
 */
function learnedScores(index: EditionIndex, weights: Record<string, number>): Float64Array | null {
  const entries = Object.entries(weights ?? {})
    .filter(([, weight]) => Number.isFinite(weight) && weight !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, MAX_LEARNED_TERMS);
  if (entries.length === 0) return null;
  const raw = new Float64Array(index.papers.length);
  for (const [term, weight] of entries) {
    const posting = index.postings.get(term);
    if (!posting) continue;
    const specificity = posting.idf / index.maxIdf;
    for (let i = 0; i < posting.docs.length; i++) {
      raw[posting.docs[i]!]! += clamp(weight, -1, 1) * posting.sats[i]! * specificity;
    }
  }
  for (let doc = 0; doc < raw.length; doc++) raw[doc] = LEARNED_MAX * Math.tanh(raw[doc]!);
  return raw;
}

export { applyFeedback, FEEDBACK_LIMITS } from './feedback';
