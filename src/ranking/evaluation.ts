/**
 * The measurement loop for ranking quality: nDCG of the production ranking on judged
 * interest profiles, side by side, in the same run, with a plain Okapi BM25 over title +
 * abstract and with upvotes only, plus a simulated subscriber who votes 👍/👎 on an earlier
 * half of the papers so the lift that feedback brings to the later half is measured too.
 * It lives in src/ so that the quality-floor test (inside workerd) and the
 * `npm run eval:relevance` script (in Node) judge exactly the same code.
 */
import type { Paper } from '../domain';
import { parseInterests } from '../subscriptions/interests';
import { learnFromVotes, type Vote } from './feedback';
import { buildEditionIndex, type RankProfile, rankForSubscriber } from './index';

/** Graded judgments of one profile: paper id -> 2 (squarely on topic) or 1 (partly); unlisted = 0. */
export interface JudgedProfile {
  interests: string;
  rel: Record<string, number>;
}

/** nDCG@k with linear gains and log2 discounts; the ideal ranking uses every judged paper present. */
export function ndcgAt(ranking: readonly string[], rel: Record<string, number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((id, position) => {
    dcg += (rel[id] ?? 0) / Math.log2(position + 2);
  });
  const ideal = Object.values(rel)
    .filter((grade) => grade > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, position) => sum + grade / Math.log2(position + 2), 0);
  return ideal > 0 ? dcg / ideal : 0;
}

const BASELINE_STOPWORDS = new Set(
  'a an the of and or in on for to with by is are we our this that these those it its as at be from into via using can which also has have been than both such'.split(
    ' ',
  ),
);

const baselineTokens = (text: string) =>
  (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((token) => !BASELINE_STOPWORDS.has(token));

/**
 * Plain Okapi BM25 (k1 1.2, b 0.75) over title + abstract, the whole interest text as one
 * bag of words: the bar any smarter ranking has to clear. Ties keep the input order.
 */
export function bm25Ranking(papers: readonly Paper[], query: string): string[] {
  const k1 = 1.2;
  const b = 0.75;
  const docs = papers.map((paper) => baselineTokens(`${paper.title} ${paper.abstract}`));
  const averageLength = docs.reduce((sum, tokens) => sum + tokens.length, 0) / Math.max(1, docs.length);
  const documentFrequency = new Map<string, number>();
  for (const tokens of docs) {
    for (const token of new Set(tokens))
      documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
  }
  const terms = baselineTokens(query);
  const scores = docs.map((tokens) => {
    const counts = new Map<string, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    let score = 0;
    for (const term of terms) {
      const tf = counts.get(term) ?? 0;
      if (tf === 0) continue;
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * tokens.length) / averageLength));
    }
    return score;
  });
  return papers
    .map((paper, position) => ({ id: paper.id, score: scores[position]!, position }))
    .sort((x, y) => y.score - x.score || x.position - y.position)
    .map((entry) => entry.id);
}

export function upvotesRanking(papers: readonly Paper[]): string[] {
  return [...papers].sort((a, b) => b.upvotes - a.upvotes || (a.id < b.id ? -1 : 1)).map((paper) => paper.id);
}

/** The profile the eval ranks with: pure relevance, as `digest:preview` does by default. */
export function evaluationProfile(interests: string, termWeights: Record<string, number> = {}): RankProfile {
  return {
    interests: parseInterests(interests),
    termWeights,
    trendingMix: 0,
    digestSize: 10,
    alwaysSend: false,
  };
}

/** Every candidate, best first, through the production ranking. */
export function productionRanking(papers: Paper[], profile: RankProfile): string[] {
  return rankForSubscriber(buildEditionIndex(papers), profile, { full: true }).papers.map(
    (item) => item.paper.id,
  );
}

export interface ProfileScores {
  interests: string;
  ndcg5: number;
  ndcg10: number;
  bm25_ndcg5: number;
  bm25_ndcg10: number;
  upvotes_ndcg5: number;
  upvotes_ndcg10: number;
  /** nDCG on the later half, without and with the votes cast on the earlier half. */
  later_ndcg5: number;
  later_ndcg10: number;
  feedback_ndcg5: number;
  feedback_ndcg10: number;
  votes: { up: number; down: number };
}

export interface EvaluationSummary {
  ndcg5: number;
  ndcg10: number;
  bm25_ndcg5: number;
  bm25_ndcg10: number;
  upvotes_ndcg5: number;
  upvotes_ndcg10: number;
  feedback_lift5: number;
  feedback_lift10: number;
  /** The later half's means behind the lift: no lift exceeds what the ranking without votes leaves. */
  later_ndcg5: number;
  later_ndcg10: number;
  feedback_ndcg5: number;
  feedback_ndcg10: number;
}

/** The papers listed on the first half of the days (the history) and the rest. */
export function splitByDay(papers: readonly Paper[]): { earlier: Paper[]; later: Paper[] } {
  const days = [
    ...new Set(papers.map((paper) => paper.hfDate ?? paper.publishedAt?.slice(0, 10) ?? '')),
  ].sort();
  const earlierDays = new Set(days.slice(0, Math.ceil(days.length / 2)));
  const earlier: Paper[] = [];
  const later: Paper[] = [];
  for (const paper of papers) {
    (earlierDays.has(paper.hfDate ?? paper.publishedAt?.slice(0, 10) ?? '') ? earlier : later).push(paper);
  }
  return { earlier, later };
}

/**
 * A simulated subscriber: shown the top 10 of the earlier half, they vote 👍 on what is
 * judged 2 and 👎 on what is judged 0 (partly relevant papers get no vote).
 */
export function simulatedVotes(shown: readonly Paper[], rel: Record<string, number>): Vote<Paper>[] {
  const votes: Vote<Paper>[] = [];
  for (const paper of shown) {
    const grade = rel[paper.id] ?? 0;
    if (grade === 2) votes.push({ paper, vote: 1 });
    else if (grade === 0) votes.push({ paper, vote: -1 });
  }
  return votes;
}

/**
 * `mixed`: papers of another listing ranked in the same edition as the judged ones, then
 * left out of the scores. They change the edition's statistics and its feedback (what is
 * rare, what the best matches are) but are never judged: a ranking whose gains hold only
 * on the judged listing's own statistics shows it here.
 */
export function evaluateProfile(
  papers: Paper[],
  judged: JudgedProfile,
  mixed: readonly Paper[] = [],
): ProfileScores {
  const profile = evaluationProfile(judged.interests);
  const own = new Set(papers.map((paper) => paper.id));
  const extra = mixed.filter((paper) => !own.has(paper.id));
  const edition = extra.length > 0 ? [...papers, ...extra] : papers;
  const judgedOnly = (ranking: string[]) =>
    extra.length > 0 ? ranking.filter((id) => own.has(id)) : ranking;
  const production = judgedOnly(productionRanking(edition, profile));
  const bm25 = judgedOnly(bm25Ranking(edition, judged.interests));
  const upvotes = upvotesRanking(papers);

  const { earlier, later } = splitByDay(papers);
  const shownIds = new Set(productionRanking(earlier, profile).slice(0, 10));
  const shown = earlier.filter((paper) => shownIds.has(paper.id));
  const votes = simulatedVotes(shown, judged.rel);
  const learned = learnFromVotes({}, votes);
  const laterIds = new Set(later.map((paper) => paper.id));
  const laterRel = Object.fromEntries(Object.entries(judged.rel).filter(([id]) => laterIds.has(id)));
  const without = productionRanking(later, profile);
  const withVotes = productionRanking(later, evaluationProfile(judged.interests, learned));

  return {
    interests: judged.interests,
    ndcg5: ndcgAt(production, judged.rel, 5),
    ndcg10: ndcgAt(production, judged.rel, 10),
    bm25_ndcg5: ndcgAt(bm25, judged.rel, 5),
    bm25_ndcg10: ndcgAt(bm25, judged.rel, 10),
    upvotes_ndcg5: ndcgAt(upvotes, judged.rel, 5),
    upvotes_ndcg10: ndcgAt(upvotes, judged.rel, 10),
    later_ndcg5: ndcgAt(without, laterRel, 5),
    later_ndcg10: ndcgAt(without, laterRel, 10),
    feedback_ndcg5: ndcgAt(withVotes, laterRel, 5),
    feedback_ndcg10: ndcgAt(withVotes, laterRel, 10),
    votes: {
      up: votes.filter((entry) => entry.vote === 1).length,
      down: votes.filter((entry) => entry.vote === -1).length,
    },
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function summarise(rows: readonly ProfileScores[]): EvaluationSummary {
  const avg = (pick: (row: ProfileScores) => number) => round3(mean(rows.map(pick)));
  return {
    ndcg5: avg((row) => row.ndcg5),
    ndcg10: avg((row) => row.ndcg10),
    bm25_ndcg5: avg((row) => row.bm25_ndcg5),
    bm25_ndcg10: avg((row) => row.bm25_ndcg10),
    upvotes_ndcg5: avg((row) => row.upvotes_ndcg5),
    upvotes_ndcg10: avg((row) => row.upvotes_ndcg10),
    feedback_lift5: avg((row) => row.feedback_ndcg5 - row.later_ndcg5),
    feedback_lift10: avg((row) => row.feedback_ndcg10 - row.later_ndcg10),
    later_ndcg5: avg((row) => row.later_ndcg5),
    later_ndcg10: avg((row) => row.later_ndcg10),
    feedback_ndcg5: avg((row) => row.feedback_ndcg5),
    feedback_ndcg10: avg((row) => row.feedback_ndcg10),
  };
}

export function evaluate(papers: Paper[], profiles: readonly JudgedProfile[], mixed: readonly Paper[] = []) {
  const rows = profiles.map((judged) => evaluateProfile(papers, judged, mixed));
  return { rows, summary: summarise(rows) };
}
