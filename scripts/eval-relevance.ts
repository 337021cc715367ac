/**
 * `npm run eval:relevance [-- --papers FILE --judgments FILE] [--mix FILE]`
 *
 * Judges the production ranking on a graded relevance set (by default the dev set in
 * data/relevance/: 289 real Hugging Face Daily Papers of 2026 and 10 interest profiles),
 * side by side in the same run with a plain Okapi BM25 and with upvotes only, and
 * simulates a subscriber's 👍/👎 on the earlier half of the days to measure the lift on
 * the later half. Prints a per-profile table and the later half's means without and with
 * the votes; the last line is one JSON object with the means, for scripts and CI logs.
 * `--mix FILE` ranks the judged papers in one edition with another listing's papers, which
 * are left out of the scores: gains that hold only on the judged listing's own statistics
 * show there.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Paper } from '../src/domain';
import { parseHfDailyPapers } from '../src/ingest/hf';
import { evaluate, type JudgedProfile } from '../src/ranking/evaluation';

const { values } = parseArgs({
  options: {
    papers: { type: 'string', default: 'data/relevance/dev-papers.json' },
    judgments: { type: 'string', default: 'data/relevance/dev-judgments.json' },
    mix: { type: 'string' },
  },
});

const now = new Date().toISOString();
const load = (file: string): Paper[] =>
  parseHfDailyPapers(JSON.parse(readFileSync(file, 'utf8'))).papers.map((paper) => ({
    ...paper,
    upvotes: paper.upvotes ?? 0,
    numComments: paper.numComments ?? 0,
    ingestedAt: now,
    refreshedAt: now,
  }));
const papers = load(values.papers!);
const mixed = values.mix ? load(values.mix) : [];
const profiles = (JSON.parse(readFileSync(values.judgments!, 'utf8')) as { profiles: JudgedProfile[] })
  .profiles;

const started = performance.now();
const { rows, summary } = evaluate(papers, profiles, mixed);
const elapsed = performance.now() - started;

const f = (value: number) => value.toFixed(3);
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
const lines = [
  `${papers.length} papers, ${profiles.length} profiles (${values.papers}, ${values.judgments}); ${elapsed.toFixed(0)} ms`,
  ...(values.mix
    ? [
        `ranked in one edition with the ${mixed.length} papers of ${values.mix}, which are left out of nDCG (the feedback lift is on the judged papers alone)`,
      ]
    : []),
  '',
  '| profile | nDCG@5 | BM25@5 | nDCG@10 | BM25@10 | upvotes@10 | votes 👍/👎 | feedback lift @5 | @10 |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.interests} | ${f(row.ndcg5)} | ${f(row.bm25_ndcg5)} | ${f(row.ndcg10)} | ${f(row.bm25_ndcg10)} | ${f(row.upvotes_ndcg10)} | ${row.votes.up}/${row.votes.down} | ${signed(row.feedback_ndcg5 - row.later_ndcg5)} | ${signed(row.feedback_ndcg10 - row.later_ndcg10)} |`,
  ),
  `| **mean** | **${f(summary.ndcg5)}** | ${f(summary.bm25_ndcg5)} | **${f(summary.ndcg10)}** | ${f(summary.bm25_ndcg10)} | ${f(summary.upvotes_ndcg10)} | | **${signed(summary.feedback_lift5)}** | **${signed(summary.feedback_lift10)}** |`,
  '',
  // The lift alone hides a ceiling: a ranking already right without votes leaves votes nothing to add.
  `later half, nDCG@5 / @10: without votes ${f(summary.later_ndcg5)} / ${f(summary.later_ndcg10)}, with votes ${f(summary.feedback_ndcg5)} / ${f(summary.feedback_ndcg10)}`,
  '',
  JSON.stringify({
    ndcg5: summary.ndcg5,
    ndcg10: summary.ndcg10,
    bm25_ndcg5: summary.bm25_ndcg5,
    bm25_ndcg10: summary.bm25_ndcg10,
    feedback_lift5: summary.feedback_lift5,
    feedback_lift10: summary.feedback_lift10,
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
