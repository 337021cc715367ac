/**
 * `npm run digest:preview -- --papers FILE --interests "TEXT" [--trending 0.2] [--size 10]
 *   [--history FILE --votes FILE] [--json]`
 *
 * Ranks a daily list for an interest profile with the production ranker, so people can
 * see (and tune) what a subscriber would get before anything is sent. FILE is a Hugging
 * Face daily_papers response (JSON array) or an arXiv API Atom feed, read through the
 * same parsers the ingest uses. Prints every paper of the file, best first, marking the
 * ones a digest of --size would contain; with --json, stdout is only a JSON array of
 * {id, title, score, why}. --trending defaults to 0 (pure relevance); with no interests
 * the list is the trending list.
 *
 * --history is a file (same formats) of papers the subscriber was sent earlier and
 * --votes a JSON object {"<arXiv id>": "up" | "down"} on papers of that history: the
 * votes are applied in the file's order through weightsAfterVote, exactly as the 👍/👎
 * feedback POST applies them one by one, and --papers is ranked with the profile they
 * produce; papers of the history are not ranked again (a digest never repeats one).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { IncomingPaper, Paper } from '../src/domain';
import { weightsAfterVote } from '../src/feedback/vote';
import { parseArxivFeed } from '../src/ingest/arxiv';
import { parseHfDailyPapers } from '../src/ingest/hf';
import { parseArxivId } from '../src/ingest/normalise';
import { buildEditionIndex, type RankProfile, rankForSubscriber } from '../src/ranking';
import { parseInterests } from '../src/subscriptions/interests';

const USAGE =
  'Usage: npm run digest:preview -- --papers FILE [--interests "TEXT"] [--trending 0..1] [--size N] [--history FILE --votes FILE] [--json]';

function fail(message: string): never {
  process.stderr.write(`digest:preview: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        papers: { type: 'string', short: 'p' },
        interests: { type: 'string', short: 'i', default: '' },
        trending: { type: 'string', short: 't', default: '0' },
        size: { type: 'string', short: 'n', default: '10' },
        history: { type: 'string' },
        votes: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

function readPapers(file: string): { papers: IncomingPaper[]; skipped: number; format: string } {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    fail(`cannot read ${file}: ${(error as Error).message}`);
  }
  const trimmed = content.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('<')) {
    const parsed = parseArxivFeed(trimmed);
    return { papers: parsed.papers, skipped: parsed.skipped.length, format: 'arXiv Atom' };
  }
  let body: unknown;
  try {
    body = JSON.parse(trimmed);
  } catch (error) {
    fail(`${file} is neither JSON nor XML: ${(error as Error).message}`);
  }
  // Accept the API array itself or a wrapper object holding it.
  if (!Array.isArray(body) && body && typeof body === 'object') {
    const wrapped = Object.values(body as Record<string, unknown>).find(Array.isArray);
    if (wrapped) body = wrapped;
  }
  const parsed = parseHfDailyPapers(body);
  return { papers: parsed.papers, skipped: parsed.skipped.length, format: 'Hugging Face daily papers' };
}

/** The term weights the votes leave, applied one vote at a time as the feedback POST does. */
function learnedWeights(
  historyFile: string,
  votesFile: string,
): { weights: Record<string, number>; sent: Set<string> } {
  const history = readPapers(historyFile).papers;
  const byId = new Map(history.map((paper) => [paper.id, paper]));
  let votes: unknown;
  try {
    votes = JSON.parse(readFileSync(votesFile, 'utf8'));
  } catch (error) {
    fail(`cannot read ${votesFile} as JSON: ${(error as Error).message}`);
  }
  if (!votes || typeof votes !== 'object' || Array.isArray(votes)) {
    fail(`${votesFile} must be a JSON object {"<arXiv id>": "up" | "down"}`);
  }
  let weights: Record<string, number> = {};
  for (const [rawId, vote] of Object.entries(votes as Record<string, unknown>)) {
    const id = parseArxivId(rawId)?.id;
    const paper = id ? byId.get(id) : undefined;
    if (!paper) fail(`${votesFile}: ${JSON.stringify(rawId)} is not a paper of ${historyFile}`);
    if (vote !== 'up' && vote !== 'down') fail(`${votesFile}: the vote on ${rawId} must be "up" or "down"`);
    // The step a POST on a feedback link takes (each paper voted once: no previous vote).
    weights = weightsAfterVote(weights, paper, vote === 'up' ? 1 : -1, null) ?? weights;
  }
  return { weights, sent: new Set(byId.keys()) };
}

function main(): void {
  const args = parseCli();
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!args.papers) fail('--papers FILE is required');
  const trendingMix = Number(args.trending);
  if (!Number.isFinite(trendingMix) || trendingMix < 0 || trendingMix > 1)
    fail('--trending must be between 0 and 1');
  const size = Number(args.size);
  if (!Number.isInteger(size) || size < 1 || size > 50) fail('--size must be an integer between 1 and 50');

  if (Boolean(args.history) !== Boolean(args.votes)) fail('--history and --votes go together');
  const learned = args.history && args.votes ? learnedWeights(args.history, args.votes) : null;
  const { papers: incoming, skipped, format } = readPapers(args.papers);
  const now = new Date().toISOString();
  const papers: Paper[] = incoming
    .filter((paper) => !learned?.sent.has(paper.id))
    .map((paper) => ({
      ...paper,
      upvotes: paper.upvotes ?? 0,
      numComments: paper.numComments ?? 0,
      ingestedAt: now,
      refreshedAt: now,
    }));
  const profile: RankProfile = {
    interests: parseInterests(args.interests ?? ''),
    termWeights: learned?.weights ?? {},
    trendingMix,
    digestSize: size,
    alwaysSend: false,
  };
  const index = buildEditionIndex(papers);
  const ranking = rankForSubscriber(index, profile, { full: true }).papers;

  if (args.json) {
    const rows = ranking.map((item) => ({
      id: item.paper.id,
      title: item.paper.title,
      score: item.score,
      why: item.why,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }

  const digest = rankForSubscriber(index, profile);
  const inDigest = new Set(digest.papers.map((item) => item.paper.id));
  const { phrases, categories, authors } = profile.interests;
  const out: string[] = [];
  out.push(`${papers.length} papers from ${args.papers} (${format})${skipped ? `, ${skipped} skipped` : ''}`);
  if (learned) {
    const terms = Object.entries(learned.weights)
      .slice(0, 8)
      .map(([term, weight]) => `${term} ${weight > 0 ? '+' : ''}${weight}`);
    out.push(
      `learned from ${args.votes} on ${args.history}: ${terms.join(', ')}${terms.length ? ' …' : '(nothing)'}`,
    );
  }
  out.push(
    `interests: ${[...phrases, ...categories, ...authors.map((name) => `@${name}`)].join(', ') || '(none: trending only)'}` +
      ` · trending mix ${trendingMix} · digest size ${size}`,
  );
  out.push(
    digest.skipReason
      ? `digest: skipped (${digest.skipReason})`
      : `digest: ${digest.papers.length} paper${digest.papers.length === 1 ? '' : 's'} (marked ●)`,
  );
  out.push('');
  out.push(`${'#'.padStart(3)}   ${'score'.padEnd(6)} ${'id'.padEnd(12)} title · why`);
  ranking.forEach((item, position) => {
    const title = item.paper.title.length > 90 ? `${item.paper.title.slice(0, 89)}…` : item.paper.title;
    const why = item.why.length > 0 ? ` · ${item.why.join('; ')}` : '';
    out.push(
      `${String(position + 1).padStart(3)} ${inDigest.has(item.paper.id) ? '●' : ' '} ${item.score
        .toFixed(3)
        .padEnd(6)} ${item.paper.id.padEnd(12)} ${title}${why}`,
    );
  });
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
