/**
 * Ranking entry point, the contract the delivery consumer and the preview CLI use: build
 * an index once per edition, then rank it for each subscriber. Each interest is scored
 * on its own absolute scale (interest.ts); a paper's relevance is its best interest plus
 * a little for every further one, plus followed authors, arXiv categories and what the
 * subscriber taught us with 👍/👎. Relevance is blended with trending (log upvotes,
 * normalised per edition) by the subscriber's trending mix, and the digest gives each
 * interest of a multi-interest profile its fair share of the top places instead of
 * letting the most prolific one crowd out the rest. When nothing clears the floors the
 * result carries a skip reason, or, for subscribers who always want a digest, says that
 * it is a trending fallback.
 */
import type { Paper, Subscriber } from '../domain';
import { type Interests, parseInterests } from '../subscriptions/interests';
import { AcronymMiner, type AcronymTable } from './acronyms';
import { EVIDENCE, type InterestScores, VERDICT, VERDICT_DOCS } from './cache';
import {
  authorKey,
  authorKeysOf,
  authorsMatch,
  type EditionIndex,
  editionMemo,
  FIELD_COUNT,
  surnameKey,
} from './edition';
import { learnedScores } from './feedback';
import { scoreInterest } from './interest';
import { type Alternative, type InterestQuery, queriesOf, queryOf } from './query';
import { SYNONYMS } from './vocabulary';

export interface RankedPaper {
  paper: Paper;
  score: number;
  /** Short, truthful reasons: "matches “diffusion models”", "by Yann LeCun", "trending: 120 upvotes". */
  why: string[];
  /** Relevance before blending (about 0 = unrelated, 1 = squarely on an interest). */
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

export interface RankResult {
  papers: RankedPaper[];
  /** Set when nothing is relevant or trending enough and the subscriber did not ask for "always send". */
  skipReason: string | null;
  /**
   * How the digest was filled: `relevant` when at least one paper matched the
   * subscriber's interests, `trending` when none did and the papers are simply the most
   * upvoted (the email must say so instead of "picked for you").
   */
  basis: 'relevant' | 'trending';
}

export interface RankOptions {
  /**
   * Papers not to send (already sent, or older than the subscriber's last digest): one set,
   * or several whose union counts. A large set shared by many subscribers (the sender's
   * "ingested before" sets) is turned into a per-doc mask once per edition and set.
   */
  exclude?: ReadonlySet<string> | readonly ReadonlySet<string>[];
  /** Return every candidate, best first (the preview CLI, the evaluation), instead of the digest. */
  full?: boolean;
}

export type { EditionIndex } from './edition';
export { buildEditionIndex, EditionReader } from './edition';

/** A paper is relevant when its relevance clears this: a good part of an interest, not one stray word. */
export const RELEVANCE_FLOOR = 0.3;
/** Fewer upvotes than this is not "trending", whatever the rest of the edition looks like. */
export const TRENDING_MIN_UPVOTES = 5;
/** The reasons a paper may be in a digest for its upvotes or its date alone, not for an interest. */
const TRENDING_REASON = 'trending: ';
const NEWEST_REASON = 'newest in this edition';

/**
 * Whether a digest line was picked for the subscriber's interests (a match, an author, a
 * category, their 👍) rather than only filling a trending place. Read from the reasons,
 * which a delivery keeps, so a retried or browser-viewed digest counts as the email did.
 * No reason at all is a relevant paper too: one relevant through several interests'
 * partial matches, none enough to name; a trending place always says it is trending, and
 * a fallback paper with no reason says it is the newest.
 */
export function pickedForInterests(why: readonly string[]): boolean {
  return (
    why.length === 0 || why.some((reason) => !reason.startsWith(TRENDING_REASON) && reason !== NEWEST_REASON)
  );
}

export const RANK_PARAMS = { secondaryShare: 0.2, fairShareDecay: 0.8 };
const AUTHOR_BOOST = 0.6;
/** A category interest also matches its subject in words, at this share (HF papers carry no categories). */
const CATEGORY_TOPIC_SHARE = 0.6;
/** A learned preference this strong is worth saying "like papers you 👍". */
const LEARNED_WHY = 0.15;

/**
 * What an arXiv category is about, in words, so a category interest also finds papers
 * that came without categories (Hugging Face lists carry none). Alternatives are
 * separated by "/" and scored as readings: a paper about any of them counts.
 */
const CATEGORY_TOPICS: Record<string, { label: string; words: string }> = {
  'cs.CL': {
    label: 'language',
    words: 'natural language processing / language model / LLM / machine translation',
  },
  'cs.CV': { label: 'vision', words: 'image / video / vision / visual / segmentation / detection' },
  'cs.LG': { label: 'machine learning', words: 'machine learning / deep learning / neural network' },
  'cs.AI': { label: 'AI', words: 'artificial intelligence / agent / reasoning / planning' },
  'cs.RO': { label: 'robotics', words: 'robot / manipulation / embodied' },
  'cs.SD': { label: 'audio', words: 'audio / speech / music / sound' },
  'eess.AS': { label: 'speech', words: 'speech / audio / spoken' },
  'eess.IV': { label: 'image processing', words: 'image processing / image restoration / video' },
  'cs.IR': {
    label: 'retrieval',
    words: 'information retrieval / recommendation / search engine / retrieval',
  },
  'cs.CR': { label: 'security', words: 'security / privacy / attack / adversarial' },
  'cs.HC': {
    label: 'human-computer interaction',
    words: 'human-computer interaction / user study / interface',
  },
  'cs.SE': { label: 'software', words: 'software engineering / code / programming' },
  'cs.GR': { label: 'graphics', words: 'computer graphics / rendering / 3D' },
  'cs.MA': { label: 'multi-agent systems', words: 'multi-agent' },
  'cs.NE': { label: 'evolutionary computing', words: 'evolutionary / neuroevolution / spiking' },
  'cs.DC': { label: 'distributed computing', words: 'distributed / parallel / GPU / inference serving' },
  'stat.ML': { label: 'statistical learning', words: 'statistical learning / machine learning / Bayesian' },
  'q-bio.BM': { label: 'biomolecules', words: 'protein / molecule / drug' },
};
const PRIMARY_CATEGORY_BOOST = 0.3;
const CATEGORY_BOOST = 0.2;

export function profileFromSubscriber(subscriber: Subscriber): RankProfile {
  return {
    interests: parseInterests(subscriber.interests),
    termWeights: subscriber.termWeights ?? {},
    trendingMix: subscriber.trendingMix,
    digestSize: subscriber.digestSize,
    alwaysSend: subscriber.alwaysSend,
  };
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

interface Scored {
  interests: { phrase: string; scores: InterestScores }[];
  /** Category interests matched by their subject in words. */
  topics: { category: string; label: string; scores: Float32Array }[];
  /** Index into `interests` of each doc's best interest, or -1. */
  primary: Int16Array;
  relevance: Float64Array;
  authorHit: Map<number, string>;
  /** Per doc, 1 + the position in its list of the first category followed; null without category interests. */
  categoryAt: Int8Array | null;
  learned: Float64Array | null;
  /** Docs not excluded; the relevant ones and the trending ones that may fill trending places (`Pass`). */
  candidateCount: number;
  relevantCount: number;
  trendingCount: number;
}

/** How the pass over the docs turns relevance into a digest score and which lists a doc joins. */
interface Pass {
  /** 1 for every doc not to send, or null. */
  excluded: Uint8Array | null;
  hasInterests: boolean;
  /** The trending mix (1 without interests). */
  mix: number;
  /** Relevance from which a doc competes as relevant (infinite without interests). */
  floor: number;
  /** Whether the digest has trending places to fill. */
  wantTrending: boolean;
}

function scoreProfile(index: EditionIndex, profile: RankProfile, pass: Pass): Scored {
  const total = index.total;
  const { phrases, categories, authors } = profile.interests;
  const interests = phrases.map((phrase) => ({ phrase, scores: scoreInterest(index, phrase) }));
  const categoryTopics = categories
    .filter((category) => CATEGORY_TOPICS[category])
    .map((category) => ({
      category,
      label: CATEGORY_TOPICS[category]!.label,
      scores: scoreInterest(index, CATEGORY_TOPICS[category]!.words).scores,
    }));

  const authorHit = new Map<number, string>();
  for (const name of authors) {
    const { docs, displays } = papersBy(index, name);
    for (let k = 0; k < docs.length; k++) if (!authorHit.has(docs[k]!)) authorHit.set(docs[k]!, displays[k]!);
  }
  // Per doc, 1 + the position of its first category the subscriber follows (0: none).
  let categoryAt: Int8Array | null = null;
  for (const wanted of categories) {
    const hits = index.categoryDocs.get(wanted.toLowerCase());
    if (!hits) continue;
    if (!categoryAt) {
      categoryAt = profileScratch(total).categoryAt;
      categoryAt.fill(0, 0, total);
    }
    for (let k = 0; k < hits.docs.length; k++) {
      const doc = hits.docs[k]!;
      const at = Math.min(hits.positions[k]!, 126) + 1;
      if (categoryAt[doc] === 0 || at < categoryAt[doc]!) categoryAt[doc] = at;
    }
  }
  const learned = learnedScores(index, profile.termWeights);

  // Each interest's and topic's vector is folded into per-doc best and sum arrays, one
  // tight loop per vector (reading every vector inside the doc loop cost ~7% more), then
  // one pass over the docs scores each candidate for the digest and lists the relevant and
  // trending ones. This runs for every subscriber over every doc, so it writes only arrays
  // reused from the last subscriber (allocating per-doc arrays, and a second pass for the
  // digest score, were a good part of its cost) and is written out flat (no closures or
  // optional chains: a third of its time in V8 once). Per doc, the sums are taken in
  // interest order, as they always were, so scores do not move by a rounding.
  const { primary, relevance, authored, score, relevantList, trendingList, best, sum } =
    profileScratch(total);
  for (const doc of authorHit.keys()) authored[doc] = 1;
  const vectors = interests.map((interest) => interest.scores.scores);
  const topicVectors = categoryTopics.map((topic) => topic.scores);
  const share = RANK_PARAMS.secondaryShare;
  const { excluded, hasInterests, mix, floor, wantTrending } = pass;
  const { upvotes, trending } = index;
  const keep = 1 - mix;
  let candidateCount = 0;
  let relevantCount = 0;
  let trendingCount = 0;
  best.fill(0, 0, total);
  sum.fill(0, 0, total);
  primary.fill(-1, 0, total);
  for (let k = 0; k < vectors.length; k++) {
    const vector = vectors[k]!;
    for (let doc = 0; doc < total; doc++) {
      const part = vector[doc]!;
      if (part === 0) continue;
      sum[doc]! += part;
      if (part > best[doc]!) {
        best[doc] = part;
        primary[doc] = k;
      }
    }
  }
  for (let k = 0; k < topicVectors.length; k++) {
    const vector = topicVectors[k]!;
    for (let doc = 0; doc < total; doc++) {
      const part = CATEGORY_TOPIC_SHARE * vector[doc]!;
      sum[doc]! += part;
      if (part > best[doc]!) best[doc] = part;
    }
  }
  for (let doc = 0; doc < total; doc++) {
    let value = best[doc]! + share * (sum[doc]! - best[doc]!);
    if (authored[doc] !== 0) value += AUTHOR_BOOST;
    if (categoryAt !== null) {
      const at = categoryAt[doc]!;
      if (at > 0) value += at === 1 ? PRIMARY_CATEGORY_BOOST : CATEGORY_BOOST;
    }
    if (learned !== null) value += learned[doc]!;
    relevance[doc] = value;
    // The digest score of a candidate, with the tests of isRelevant and isTrending on the values at hand.
    if (excluded !== null && excluded[doc] !== 0) continue;
    candidateCount++;
    const personal = hasInterests ? Math.min(1.5, Math.max(-1, value)) : learned ? learned[doc]! : 0;
    score[doc] = keep * personal + mix * trending[doc]!;
    if (value >= floor) relevantList[relevantCount++] = doc;
    else if (
      wantTrending &&
      upvotes[doc]! >= TRENDING_MIN_UPVOTES &&
      (learned === null || learned[doc]! > -0.1)
    )
      trendingList[trendingCount++] = doc;
  }
  for (const doc of authorHit.keys()) authored[doc] = 0;
  return {
    interests,
    topics: categoryTopics,
    primary,
    relevance,
    authorHit,
    categoryAt,
    learned,
    candidateCount,
    relevantCount,
    trendingCount,
  };
}

export function rankForSubscriber(
  index: EditionIndex,
  profile: RankProfile,
  options: RankOptions = {},
): RankResult {
  const total = index.total;
  // No vector of an earlier subscriber is read any more: evicted ones may be reused.
  index.cache.recycle();
  const { phrases, categories, authors } = profile.interests;
  const hasInterests = phrases.length + categories.length + authors.length > 0;
  const mix = hasInterests ? clamp(profile.trendingMix, 0, 1) : 1;
  const size = Math.max(1, profile.digestSize);
  const trendingSlots = hasInterests ? Math.round(mix * size) : size;
  const excluded = exclusionMask(index, options.exclude);
  // Without interests nothing is relevant: no relevance reaches an infinite floor.
  const floor = hasInterests ? RELEVANCE_FLOOR : Number.POSITIVE_INFINITY;
  const wantTrending = mix > 0 && trendingSlots > 0;
  // Every candidate's score, the relevant ones (they all compete) and the trending ones
  // that may fill the trending places; the rest can only be a fallback.
  const scored = scoreProfile(index, profile, { excluded, hasInterests, mix, floor, wantTrending });
  const { relevance, candidateCount, relevantCount, trendingCount } = scored;
  const { score, relevantList, trendingList } = profileScratch(total);
  const { upvotes, trending } = index;
  const isRelevant = (doc: number) => relevance[doc]! >= floor;
  const isTrending = (doc: number) => upvotes[doc]! >= TRENDING_MIN_UPVOTES;
  const relevantDocs = relevantList.subarray(0, relevantCount);
  const trendingDocs = trendingList.subarray(0, trendingCount);
  /** Every candidate, in doc order: only the full ranking and the trending fallback need them. */
  const candidates = () => {
    const docs: number[] = [];
    for (let doc = 0; doc < total; doc++) if (!excluded?.[doc]) docs.push(doc);
    return docs;
  };
  // Only the sign is returned: a difference of two doubles returned to sort() is a new
  // heap number per comparison, a tenth of what ranking a subscriber allocated.
  const byScore = (a: number, b: number) => {
    const scores = score[b]! - score[a]!;
    if (scores > 0) return 1;
    if (scores < 0) return -1;
    const relevances = relevance[b]! - relevance[a]!;
    if (relevances > 0) return 1;
    if (relevances < 0) return -1;
    return upvotes[b]! - upvotes[a]! || (index.ids[a]! < index.ids[b]! ? -1 : 1);
  };
  const explain = (doc: number, trending: boolean) => explainDoc(index, scored, doc, trending, score[doc]!);

  if (candidateCount === 0) return { papers: [], skipReason: 'no new papers', basis: 'relevant' };
  if (options.full) {
    const all = candidates();
    const ordered = fairShare(all.sort(byScore), scored, score, all.length);
    return {
      papers: ordered.map((doc) => explain(doc, mix > 0 && isTrending(doc) && trending[doc]! >= 0.5)),
      skipReason: null,
      basis: 'relevant',
    };
  }

  // Relevant papers all compete; of the rest only the best few trending ones can get in.
  // Fair share looks a little past the digest's end, so an under-served interest can move up.
  const relevant = fairShare(topK(relevantDocs, size * 3, byScore, score), scored, score, size);
  const trendingPool = wantTrending ? topK(trendingDocs, trendingSlots, byScore, score) : [];
  const chosen = [...relevant, ...trendingPool].sort(byScore);
  const ordered = fairShare(chosen, scored, score, size);
  if (ordered.length > 0) {
    const basis = !hasInterests || relevant.length > 0 ? 'relevant' : 'trending';
    return {
      papers: ordered.map((doc) =>
        explain(doc, !isRelevant(doc) || (mix > 0 && isTrending(doc) && trending[doc]! >= 0.6)),
      ),
      skipReason: null,
      basis,
    };
  }
  if (!profile.alwaysSend) {
    return {
      papers: [],
      skipReason: hasInterests
        ? 'nothing matched your interests and nothing was trending'
        : 'nothing was trending',
      basis: 'trending',
    };
  }
  const byUpvotes = (a: number, b: number) => trending[b]! - trending[a]! || byScore(a, b);
  return {
    papers: topK(candidates(), size, byUpvotes).map((doc) => {
      const ranked = explain(doc, isTrending(doc));
      if (ranked.why.length === 0) ranked.why.push(NEWEST_REASON);
      return ranked;
    }),
    skipReason: null,
    basis: 'trending',
  };
}

/** An author's papers in an edition, and how each names them; see `papersBy`. */
interface AuthorPapers {
  docs: number[];
  displays: string[];
}
/** About 100,000 remembered papers per edition. */
const authorPapers = editionMemo<AuthorPapers>(100_000, (found) => found.docs.length + 1);

/**
 * The papers of the edition by the author `name`, found once per edition and name: by
 * surname, then the full comparison ("Y. LeCun" is "Yann LeCun") on those few. Followed
 * authors recur across subscribers, and a prolific one has many papers to compare.
 */
function papersBy(index: EditionIndex, name: string): AuthorPapers {
  return authorPapers(index, name, () => {
    const wanted = authorKey(name);
    const found: AuthorPapers = { docs: [], displays: [] };
    for (const doc of index.authorDocs.get(surnameKey(name)) ?? []) {
      const author = authorKeysOf(index, doc).find((candidate) => authorsMatch(wanted, candidate));
      if (author) {
        found.docs.push(doc);
        found.displays.push(author.display);
      }
    }
    return found;
  });
}

let profileBuffers = {
  relevance: new Float64Array(0),
  score: new Float64Array(0),
  /** Per doc, its best interest's score and the sum of all of them, in interest order. */
  best: new Float64Array(0),
  sum: new Float64Array(0),
  primary: new Int16Array(0),
  excluded: new Uint8Array(0),
  /** 1 for the docs by a followed author, while one subscriber is scored; 0 otherwise. */
  authored: new Uint8Array(0),
  /** The docs that compete for the digest (relevant) and may fill its trending places, in doc order. */
  relevantList: new Int32Array(0),
  trendingList: new Int32Array(0),
  /** Per doc, 1 + the position of its first followed category (0: none). */
  categoryAt: new Int8Array(0),
};

/**
 * Per-doc working arrays of one subscriber's ranking, reused by the next (ranking is
 * synchronous, and nothing returned refers to them): allocating these arrays (and the
 * exclusion mask) per subscriber was most of what the garbage collector had to do in a
 * queue batch.
 */
function profileScratch(total: number) {
  if (profileBuffers.relevance.length < total) {
    profileBuffers = {
      relevance: new Float64Array(total),
      score: new Float64Array(total),
      best: new Float64Array(total),
      sum: new Float64Array(total),
      primary: new Int16Array(total),
      excluded: new Uint8Array(total),
      authored: new Uint8Array(total),
      relevantList: new Int32Array(total),
      trendingList: new Int32Array(total),
      categoryAt: new Int8Array(total),
    };
  }
  return profileBuffers;
}

/**
 * The k best of `items` by `compare`, in order, without sorting everything. `key`, when
 * given, is what `compare` orders by first (descending): the k-th best key is found with
 * a small heap of plain numbers, and only the items at or above it (k and any ties) are
 * sorted with `compare`. Relevant papers number in the thousands at realistic edition
 * sizes, and an insertion sort calling `compare` on them was a tenth of a subscriber's
 * ranking.
 */
function topK(
  items: ArrayLike<number>,
  k: number,
  compare: (a: number, b: number) => number,
  key?: Float64Array,
): number[] {
  if (k <= 0) return [];
  if (!key) return topKByCompare(items, k, compare);
  if (items.length > k) {
    const floor = kthLargest(items, k, key);
    const kept: number[] = [];
    for (let at = 0; at < items.length; at++) if (key[items[at]!]! >= floor) kept.push(items[at]!);
    return kept.sort(compare).slice(0, k);
  }
  return Array.from(items).sort(compare);
}

let heapBuffer = new Float64Array(64);

/** The k-th largest of the items' keys (k ≤ items.length), by a min-heap of the k largest so far. */
function kthLargest(items: ArrayLike<number>, k: number, key: Float64Array): number {
  if (heapBuffer.length < k) heapBuffer = new Float64Array(Math.max(k, 2 * heapBuffer.length));
  const heap = heapBuffer;
  for (let at = 0; at < k; at++) {
    // Sift up.
    let child = at;
    const value = key[items[at]!]!;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (heap[parent]! <= value) break;
      heap[child] = heap[parent]!;
      child = parent;
    }
    heap[child] = value;
  }
  for (let at = k; at < items.length; at++) {
    const value = key[items[at]!]!;
    if (value <= heap[0]!) continue;
    // Replace the smallest and sift down.
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= k) break;
      if (child + 1 < k && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= value) break;
      heap[parent] = heap[child]!;
      parent = child;
    }
    heap[parent] = value;
  }
  return heap[0]!;
}

/** The k best by `compare` alone, kept in order by insertion: for the rare fallback without a key. */
function topKByCompare(
  items: ArrayLike<number>,
  k: number,
  compare: (a: number, b: number) => number,
): number[] {
  const best: number[] = [];
  for (let at = 0; at < items.length; at++) {
    const item = items[at]!;
    if (best.length === k && compare(item, best[k - 1]!) >= 0) continue;
    let position = best.length;
    while (position > 0 && compare(item, best[position - 1]!) < 0) position--;
    best.splice(position, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}

/**
 * Re-orders the head of `ordered` so that each interest of a multi-interest profile gets
 * its share: a paper's score is discounted by FAIR_SHARE_DECAY for every place its best
 * interest already holds. Returns the first `limit` docs; past the head the order stands.
 */
function fairShare(ordered: number[], scored: Scored, score: Float64Array, limit: number): number[] {
  if (scored.interests.length < 2) return ordered.slice(0, limit);
  const head = Math.min(ordered.length, limit, 50);
  const pool = ordered.slice(0, Math.min(ordered.length, head * 3));
  const { primary } = scored;
  const held = new Array<number>(scored.interests.length).fill(0);
  // decay ** held[interest], kept per interest: this loop runs head × pool times per subscriber.
  const discount = new Array<number>(scored.interests.length).fill(1);
  const out: number[] = [];
  while (out.length < head && pool.length > 0) {
    let bestAt = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let position = 0; position < pool.length; position++) {
      const doc = pool[position]!;
      const interest = primary[doc]!;
      const value = score[doc]! * (interest >= 0 ? discount[interest]! : 1);
      if (value > bestValue) {
        bestValue = value;
        bestAt = position;
      }
    }
    const [doc] = pool.splice(bestAt, 1) as [number];
    out.push(doc);
    const interest = primary[doc]!;
    if (interest >= 0) discount[interest] = RANK_PARAMS.fairShareDecay ** ++held[interest]!;
  }
  const taken = new Set(out);
  for (const doc of ordered) {
    if (out.length >= limit) break;
    if (!taken.has(doc)) out.push(doc);
  }
  return out;
}

function explainDoc(
  index: EditionIndex,
  scored: Scored,
  doc: number,
  trending: boolean,
  score: number,
): RankedPaper {
  const paper = index.papers[doc]!;
  const why: string[] = [];
  const matched = scored.interests
    .filter((interest) => interest.scores.scores[doc]! >= RELEVANCE_FLOOR)
    .sort((a, b) => b.scores.scores[doc]! - a.scores.scores[doc]!)
    .slice(0, 2);
  const paperEvidence: Evidence = { index, doc };
  for (const interest of matched) {
    const evidence = interest.scores.evidence[doc]!;
    const { readings, reading } = interest.scores;
    // Name the reading that occurs ("code generation"), not the whole "code generation and coding agents".
    const matched = reading ? readings[reading[doc]!]! : interest.phrase;
    if (
      evidence === EVIDENCE.phrase &&
      holds(interest.scores, paperEvidence, VERDICT.phrase, matched, interest.phrase)
    )
      why.push(`matches “${matched}”`);
    else if (
      evidence >= EVIDENCE.words &&
      holds(interest.scores, paperEvidence, VERDICT.words, interest.phrase, interest.phrase)
    )
      why.push(`shares words with “${interest.phrase}”`);
    else if (evidence >= EVIDENCE.related) why.push(`related to “${interest.phrase}”`);
  }
  const author = scored.authorHit.get(doc);
  if (author) why.push(`by ${author}`);
  const category = scored.categoryAt?.[doc] ?? 0;
  if (category > 0) why.push(`in ${paper.categories[category - 1]}`);
  else {
    const topic = scored.topics.find((t) => CATEGORY_TOPIC_SHARE * t.scores[doc]! >= RELEVANCE_FLOOR);
    if (topic) why.push(`about ${topic.label} (${topic.category})`);
  }
  if (scored.learned && scored.learned[doc]! >= LEARNED_WHY) why.push('like papers you 👍');
  if (trending && paper.upvotes >= TRENDING_MIN_UPVOTES)
    why.push(`${TRENDING_REASON}${paper.upvotes} upvotes`);
  return {
    paper,
    score: round4(score),
    why,
    relevance: round4(scored.relevance[doc]!),
    trending: round4(index.trending[doc]!),
  };
}

/**
 * Whether the reason `kind` (a VERDICT bit) holds for the evidence's doc: `text` occurs in
 * it as a phrase, or shares words with it. Checked once per interest and doc, and
 * remembered with the interest (`Verdicts`): for the reading the doc matched (`text`,
 * fixed by the interest and doc), or the interest as written.
 */
function holds(
  scores: InterestScores,
  evidence: Evidence,
  kind: number,
  text: string,
  phrase: string,
): boolean {
  const { doc } = evidence;
  let memo = scores.verdicts;
  if (memo === null) {
    memo = { docs: [], bits: [] };
    scores.verdicts = memo;
  }
  const { docs, bits } = memo;
  let at = 0;
  while (at < docs.length && docs[at] !== doc) at++;
  const known = at < docs.length ? bits[at]! : 0;
  if ((known & kind) !== 0) return (known & (kind << 1)) !== 0;
  const found =
    kind === VERDICT.phrase ? occursAsPhrase(evidence, text, phrase) : sharesWords(evidence, text);
  if (at === docs.length) {
    // Past the first VERDICT_DOCS docs asked about, reasons are checked every time.
    if (at === VERDICT_DOCS) return found;
    docs.push(doc);
    bits.push(0);
  }
  bits[at] = known | kind | (found ? kind << 1 : 0);
  return found;
}

/**
 * One digest paper as its reasons are checked against it: its token streams in the index,
 * and (made when first needed) the acronyms it defines itself.
 */
interface Evidence {
  index: EditionIndex;
  doc: number;
  own?: AcronymTable;
}

/**
 * Whether `text` (one reading of an interest) occurs in the doc as one phrase, within one
 * field: its words in order, any span of them in another spelling that holds for this
 * paper (see `spellingHolds`). The scoring only asks that each pair of neighbouring words
 * be adjacent somewhere: "text-to-image generation" scored as a phrase in a paper with
 * "text-based and image-based rewards" in one sentence and "image generation" in another,
 * and "matches" must not be said there. Only the digest's papers are asked, so the scores
 * stay as they are and the cost is a few short walks per email. `phrase` is the interest
 * `text` is a reading of.
 */
function occursAsPhrase(evidence: Evidence, text: string, phrase: string): boolean {
  const { index, doc } = evidence;
  // The query the interest `phrase` was scored with for this reading, when it has one
  // (the same words and spellings), rather than tokenising it and looking its spellings up again.
  const query = queriesOf(index, phrase).find((query) => query.text === text) ?? queryOf(index, text);
  const { fieldStarts } = index;
  for (let field = 0; field < FIELD_COUNT; field++) {
    const end = fieldStarts[doc * FIELD_COUNT + field + 1]!;
    for (let at = fieldStarts[doc * FIELD_COUNT + field]!; at < end; at++) {
      if (phraseAt(evidence, query, 0, at, end)) return true;
    }
  }
  return false;
}

/** Whether the query's words from `word` on occur from position `at` (before `end`) of docTerms. */
function phraseAt(evidence: Evidence, query: InterestQuery, word: number, at: number, end: number): boolean {
  if (word === query.tokens.length) return true;
  if (at >= end) return false;
  const { index } = evidence;
  if (
    index.docTerms[at] === index.terms.get(query.tokens[word]!) &&
    phraseAt(evidence, query, word + 1, at + 1, end)
  )
    return true;
  for (const span of query.spans) {
    if (span.from !== word) continue;
    for (const form of span.forms) {
      if (!spelledAt(index, form.tokens, at, end)) continue;
      if (!spellingHolds(evidence, query.tokens.slice(span.from, span.to), form)) continue;
      if (phraseAt(evidence, query, span.to, at + form.tokens.length, end)) return true;
    }
  }
  return false;
}

function spelledAt(index: EditionIndex, tokens: readonly string[], at: number, end: number): boolean {
  if (at + tokens.length > end) return false;
  for (let k = 0; k < tokens.length; k++) {
    if (index.docTerms[at + k] !== index.terms.get(tokens[k]!)) return false;
  }
  return true;
}

const sameTokens = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((token, k) => token === b[k]);

/**
 * Whether `form` may be said to be the words `span` in this paper: a listed synonym in any
 * paper; an acronym or its long form only in a paper that defines it itself. The edition's
 * acronyms serve the scoring (a paper that uses "MoE" throughout is about mixture of
 * experts), but another paper's "SR" may be a success rate where this one's is
 * super-resolution, and "matches" is a claim about this paper. A broader form never is.
 */
function spellingHolds(evidence: Evidence, span: string[], form: Alternative): boolean {
  if (form.weight < 1) return false;
  const group = SYNONYMS.get(span.join(' '));
  if (group?.forms.some((listed) => sameTokens(listed, form.tokens))) return true;
  evidence.own ??= ownAcronyms(evidence.index, evidence.doc);
  const { expansions } = evidence.own;
  const spellings = group ? group.forms : [span];
  if (form.tokens.length === 1) {
    const longForms = expansions.get(form.tokens[0]!) ?? [];
    return spellings.some((spelling) => longForms.some((long) => sameTokens(long, spelling)));
  }
  return spellings.some(
    (spelling) =>
      spelling.length === 1 &&
      (expansions.get(spelling[0]!) ?? []).some((long) => sameTokens(long, form.tokens)),
  );
}

/** About 4,000 remembered acronyms per edition (a paper defines a few at most). */
const acronymsOfPaper = editionMemo<AcronymTable>(4_000, (table) => table.expansions.size + 1);

/**
 * The acronyms a paper defines, from the same text the edition's are mined from. Found
 * once per edition and paper: the digest's papers recur across subscribers, and mining an
 * abstract for every email that asks whether a spelling holds in it was a few percent of
 * ranking a subscriber.
 */
function ownAcronyms(index: EditionIndex, doc: number): AcronymTable {
  return acronymsOfPaper(index, index.ids[doc]!, () => {
    const paper = index.papers[doc]!;
    const miner = new AcronymMiner();
    miner.add(`${paper.title}. ${paper.aiSummary ?? ''} ${paper.abstract ?? ''}`);
    return miner.table();
  });
}

/**
 * Whether a word of the interest occurs in the doc, as written or in a spelling of it (or
 * of a span it is part of) that holds for this paper: a paper that only says "language
 * modeling" for "LLM pretraining" scored through the broader form, and is related to the
 * interest rather than sharing its words.
 */
function sharesWords(evidence: Evidence, text: string): boolean {
  const { index, doc } = evidence;
  const { docTerms, fieldStarts } = index;
  for (const query of queriesOf(index, text)) {
    const ids = query.tokens.map((token) => index.terms.get(token));
    for (let field = 0; field < FIELD_COUNT; field++) {
      const end = fieldStarts[doc * FIELD_COUNT + field + 1]!;
      for (let at = fieldStarts[doc * FIELD_COUNT + field]!; at < end; at++) {
        if (ids.includes(docTerms[at]!)) return true;
        for (const span of query.spans) {
          for (const form of span.forms) {
            if (!spelledAt(index, form.tokens, at, end)) continue;
            if (spellingHolds(evidence, query.tokens.slice(span.from, span.to), form)) return true;
          }
        }
      }
    }
  }
  return false;
}

/** Sets at least this large are worth a cached mask (looking ids up per doc is not). */
const SHARED_SET_SIZE = 64;
const sharedMasks = new WeakMap<EditionIndex, WeakMap<ReadonlySet<string>, Uint8Array>>();

/** 1 for every excluded doc; null when nothing is. */
function exclusionMask(
  index: EditionIndex,
  exclude: ReadonlySet<string> | readonly ReadonlySet<string>[] | undefined,
): Uint8Array | null {
  const sets = exclude === undefined ? [] : isSetList(exclude) ? exclude : [exclude];
  let mask: Uint8Array | null = null;
  for (const set of sets) {
    if (set.size === 0) continue;
    if (!mask) {
      mask = profileScratch(index.total).excluded;
      mask.fill(0, 0, index.total);
    }
    if (set.size < SHARED_SET_SIZE) {
      markIds(index, set, mask);
      continue;
    }
    let masks = sharedMasks.get(index);
    if (!masks) {
      masks = new WeakMap();
      sharedMasks.set(index, masks);
    }
    let shared = masks.get(set);
    if (!shared) {
      shared = new Uint8Array(index.total);
      markIds(index, set, shared);
      masks.set(set, shared);
    }
    for (let doc = 0; doc < index.total; doc++) mask[doc]! |= shared[doc]!;
  }
  return mask;
}

function isSetList(
  exclude: ReadonlySet<string> | readonly ReadonlySet<string>[],
): exclude is readonly ReadonlySet<string>[] {
  return Array.isArray(exclude);
}

function markIds(index: EditionIndex, ids: ReadonlySet<string>, mask: Uint8Array): void {
  const { docOf } = index;
  if (!docOf) {
    for (let doc = 0; doc < index.total; doc++) if (ids.has(index.ids[doc]!)) mask[doc] = 1;
    return;
  }
  for (const id of ids) {
    const doc = docOf.get(id);
    if (doc !== undefined) mask[doc] = 1;
  }
}

export { applyFeedback, FEEDBACK_LIMITS, learnFromVotes } from './feedback';
