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

  // Author and category matches come from the edition's lookup maps, not a scan per paper.
  const authorHit = new Map<number, string>();
  for (const wanted of wantedAuthors) {
    const hits = [
      ...(index.authorDocs.get(`full:${wanted.full}`) ?? []),
      ...(index.authorDocs.get(`short:${wanted.short}`) ?? []),
    ];
    for (const { doc, author } of hits) {
      if (!authorHit.has(doc) && authorsMatch(wanted, author)) authorHit.set(doc, author.display);
    }
  }
  const categoryHit = new Map<number, { category: string; position: number }>();
  for (const wanted of categories) {
    for (const { doc, position, category } of index.categoryDocs.get(wanted.toLowerCase()) ?? []) {
      const current = categoryHit.get(doc);
      if (!current || position < current.position) categoryHit.set(doc, { category, position });
    }
  }

  // One pass over the edition into typed arrays; explanations are built only for the papers returned.
  const relevanceRaw = new Float64Array(total);
  for (const vector of interestVectors) {
    const scores = vector.scores;
    for (let doc = 0; doc < total; doc++) {
      const score = scores[doc]!;
      // best so far is kept in relevanceRaw; the rest accumulates in sums
      if (score > relevanceRaw[doc]!) relevanceRaw[doc] = score;
    }
  }
  for (const vector of categoryVectors) {
    for (let doc = 0; doc < total; doc++) {
      const score = CATEGORY_TOPIC_SHARE * vector[doc]!;
      if (score > relevanceRaw[doc]!) relevanceRaw[doc] = score;
    }
  }
  const secondaries = interestVectors.length + categoryVectors.length > 1;
  let maxRelevance = 0;
  for (let doc = 0; doc < total; doc++) {
    const best = relevanceRaw[doc]!;
    let raw = best;
    if (secondaries) {
      let sum = 0;
      for (const vector of interestVectors) sum += vector.scores[doc]!;
      for (const vector of categoryVectors) sum += CATEGORY_TOPIC_SHARE * vector[doc]!;
      raw += SECONDARY_INTEREST_SHARE * (sum - best);
    }
    if (authorHit.has(doc)) raw += AUTHOR_BOOST;
    const category = categoryHit.get(doc);
    if (category) raw += category.position === 0 ? PRIMARY_CATEGORY_BOOST : CATEGORY_BOOST;
    if (learned) raw += learned[doc]!;
    relevanceRaw[doc] = raw;
    if (raw > maxRelevance && !options.exclude?.has(index.papers[doc]!.id)) maxRelevance = raw;
  }

  const normaliser = Math.max(maxRelevance, NORMALISATION_FLOOR);
  const relevance = new Float64Array(total);
  const score = new Float64Array(total);
  const candidates: number[] = [];
  for (let doc = 0; doc < total; doc++) {
    if (options.exclude?.has(index.papers[doc]!.id)) continue;
    candidates.push(doc);
    relevance[doc] = hasInterests ? clamp(relevanceRaw[doc]! / normaliser, -1, 1.5) : 0;
    const learnedOnly = hasInterests || !learned ? 0 : learned[doc]!;
    score[doc] = (1 - mix) * relevance[doc]! + mix * index.trending[doc]! + learnedOnly;
  }
  const byScore = (a: number, b: number) =>
    score[b]! - score[a]! ||
    relevanceRaw[b]! - relevanceRaw[a]! ||
    index.papers[b]!.upvotes - index.papers[a]!.upvotes ||
    (index.papers[a]!.id < index.papers[b]!.id ? -1 : 1);

  const isRelevant = (doc: number) => hasInterests && relevanceRaw[doc]! >= RELEVANCE_FLOOR;
  const isTrending = (doc: number) => (index.papers[doc]!.upvotes ?? 0) >= TRENDING_MIN_UPVOTES;
  const explain = (doc: number, trending: boolean): RankedPaper => {
    const paper = index.papers[doc]!;
    const why: string[] = [];
    const matched = interestVectors
      .filter((vector) => vector.scores[doc]! >= RELEVANCE_FLOOR)
      .sort((a, b) => b.scores[doc]! - a.scores[doc]!)
      .slice(0, 2);
    for (const vector of matched) {
      why.push(
        vector.direct[doc]! >= RELEVANCE_FLOOR
          ? `matches “${vector.phrase}”`
          : `related to “${vector.phrase}”`,
      );
    }
    const author = authorHit.get(doc);
    if (author) why.push(`by ${author}`);
    const category = categoryHit.get(doc);
    if (category) why.push(`in ${category.category}`);
    if (learned && learned[doc]! >= 0.05) why.push('like papers you 👍');
    if (trending && paper.upvotes >= TRENDING_MIN_UPVOTES) why.push(`trending: ${paper.upvotes} upvotes`);
    return {
      paper,
      score: round4(score[doc]!),
      why,
      relevance: round4(relevance[doc]!),
      trending: round4(index.trending[doc]!),
    };
  };

  if (candidates.length === 0) return { papers: [], skipReason: 'no new papers' };
  if (options.full) {
    candidates.sort(byScore);
    return {
      papers: candidates.map((doc) =>
        explain(doc, mix > 0 && isTrending(doc) && index.trending[doc]! >= 0.5),
      ),
      skipReason: null,
    };
  }

  const size = Math.max(1, profile.digestSize);
  const trendingSlots = hasInterests ? Math.round(mix * size) : size;
  // Relevant papers all compete; of the rest only the best few trending ones can get in.
  const relevant = topK(candidates.filter(isRelevant), size, byScore);
  const trendingPool =
    mix > 0 && trendingSlots > 0
      ? topK(
          candidates.filter(
            (doc) => !isRelevant(doc) && isTrending(doc) && (!learned || learned[doc]! > -0.1),
          ),
          trendingSlots,
          byScore,
        )
      : [];
  const chosen = [...relevant, ...trendingPool].sort(byScore).slice(0, size);
  if (chosen.length > 0) {
    return {
      papers: chosen.map((doc) =>
        explain(doc, !isRelevant(doc) || (mix > 0 && isTrending(doc) && index.trending[doc]! >= 0.6)),
      ),
      skipReason: null,
    };
  }
  if (!profile.alwaysSend) {
    return {
      papers: [],
      skipReason: hasInterests
        ? 'nothing matched your interests and nothing was trending'
        : 'nothing was trending',
    };
  }
  return {
    papers: topK(candidates, size, byScore).map((doc) => {
      const ranked = explain(doc, isTrending(doc));
      if (ranked.why.length === 0) ranked.why.push('newest in this edition');
      return ranked;
    }),
    skipReason: null,
  };
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

/** The k best of `items` by `compare`, in order, without sorting everything. */
function topK(items: number[], k: number, compare: (a: number, b: number) => number): number[] {
  const best: number[] = [];
  for (const item of items) {
    if (best.length === k && compare(item, best[k - 1]!) >= 0) continue;
    let position = best.length;
    while (position > 0 && compare(item, best[position - 1]!) < 0) position--;
    best.splice(position, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
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
