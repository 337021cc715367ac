/**
 * `npm run bench:ranking [-- --candidates 300,3000,10000]`
 *
 * What ranking alone costs, in CPU time (process.cpuUsage, so a busy machine does not
 * inflate it): the edition index built once, then subscribers ranked with three interests
 * never seen before (the cache cannot help) and with interests every subscriber shares
 * (it can), plus the interest cache's bytes against its budget. Editions are the real
 * dev papers repeated up to the size asked, each copy with its own id and upvotes. The
 * end-to-end cost per email is `npm run bench`; this is the ranking part of it, at sizes
 * that bench does not reach. The last line is one JSON object. npm runs it bundled by
 * esbuild, as the Worker runs (through tsx it measures tsx's loader too, about 2x).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Paper } from '../../src/domain';
import { parseHfDailyPapers } from '../../src/ingest/hf';
import { buildEditionIndex, type RankProfile, rankForSubscriber } from '../../src/ranking';
import { DEFAULT_CACHE_BYTES } from '../../src/ranking/cache';
import { parseInterests } from '../../src/subscriptions/interests';

const { values } = parseArgs({ options: { candidates: { type: 'string', default: '300,3000,10000' } } });
const sizes = values.candidates!.split(',').map(Number);
const base = parseHfDailyPapers(JSON.parse(readFileSync('data/relevance/dev-papers.json', 'utf8'))).papers;
const cpuMs = () => process.cpuUsage().user / 1000;

const WORDS =
  `diffusion video agent reasoning reward policy graph retrieval language vision robot speech audio protein
  medical efficient sparse attention memory search benchmark safety alignment privacy code math scaling quantization
  distillation tokenizer multimodal embodied navigation 3d scene generation editing models learning large`.split(
    /\s+/,
  );
let seed = 1;
const random = () => {
  seed = (seed * 16_807) % 2_147_483_647;
  return seed / 2_147_483_647;
};
const seen = new Set<string>();
/**
 * A one-to-three-word interest nobody asked for before on this edition (vectors are cached
 * per edition, so that is all "unseen" needs). `seen` starts empty for each size: kept for
 * the whole run, the few one-word interests ran out during the first size and every later
 * size was measured on longer interests than the first.
 */
function freshInterest(): string {
  for (;;) {
    const words = Array.from(
      { length: 1 + Math.floor(random() * 3) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    );
    const interest = words.join(' ');
    if (!seen.has(interest)) {
      seen.add(interest);
      return interest;
    }
  }
}
const profile = (interests: string): RankProfile => ({
  interests: parseInterests(interests),
  termWeights: {},
  trendingMix: 0.2,
  digestSize: 15,
  alwaysSend: false,
});

const results: Record<string, number> = {};
for (const size of sizes) {
  const now = new Date().toISOString();
  const papers: Paper[] = Array.from({ length: size }, (_, n) => {
    const paper = base[n % base.length]!;
    return { ...paper, id: `${paper.id}-${n}`, upvotes: (n * 37) % 200, ingestedAt: now, refreshedAt: now };
  });
  seen.clear();
  seed = 1;
  let start = cpuMs();
  const index = buildEditionIndex(papers);
  const build = cpuMs() - start;
  // Warm up the JIT on a few hundred subscribers first, as a queue consumer is after its first batch.
  for (let n = 0; n < 300; n++) rankForSubscriber(index, profile(`${freshInterest()}; ${freshInterest()}`));
  const rounds = 1_000;
  start = cpuMs();
  for (let n = 0; n < rounds; n++) {
    rankForSubscriber(index, profile(`${freshInterest()}; ${freshInterest()}; ${freshInterest()}`));
  }
  const fresh = (cpuMs() - start) / rounds;
  start = cpuMs();
  for (let n = 0; n < rounds; n++)
    rankForSubscriber(index, profile('diffusion models; video generation; RLHF'));
  const cached = (cpuMs() - start) / rounds;
  const cacheMb = index.cache.bytes / 1e6;
  console.log(
    `${String(size).padStart(6)} candidates: index ${build.toFixed(0)} ms; rank ${fresh.toFixed(3)} ms/subscriber ` +
      `(3 unseen interests), ${cached.toFixed(3)} ms (cached); cache ${cacheMb.toFixed(1)} of ` +
      `${(DEFAULT_CACHE_BYTES / 1e6).toFixed(1)} MB, ${index.cache.size} interests`,
  );
  results[`index_ms_${size}`] = Math.round(build);
  results[`rank_us_${size}`] = Math.round(fresh * 1000);
  results[`rank_cached_us_${size}`] = Math.round(cached * 1000);
}
console.log(JSON.stringify(results));
