/**
 * `npm run bench:memory [-- --candidates 3000,10000 --emails 1000]`
 *
 * What a sender isolate holds for one edition, measured in Node as V8 heap plus memory
 * outside it (typed arrays, request buffers) after a full collection: the edition made
 * ready to send exactly as the queue consumer makes it (`editionContext`, its candidates
 * read a page of `EDITION_PAGE` at a time: ranking index, prepared render, papers as
 * shown), then batches of 100 subscribers with interests never seen before ranked,
 * rendered and encoded as one Resend request, as the consumer does, and pipelined as it
 * pipelines messages: the previous request (its body and emails) is alive until the next
 * one is encoded, or, for an edition sent one message at a time (`sendsOneAtATime`), let
 * go before the next is prepared. The candidates wait
 * outside the process as D1 rows would (JSON files), so each page's strings are its own.
 * Each line is the isolate's total at that point and what the step added; the figure that
 * matters is the peak, against Workers' 128 MB. The last line is one JSON object. Needs
 * --expose-gc and NODE_ENV=production (npm passes both).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Edition } from '../../src/db/editions';
import { EDITION_PAGE, type EditionContext, editionContext, renderEmail } from '../../src/delivery/render';
import { sendsOneAtATime } from '../../src/delivery/request';
import {
  type EmailBatch,
  encodeBatch,
  type OutgoingEmail,
  releaseBatch,
  releaseSpareBodies,
} from '../../src/delivery/transport';
import type { Paper } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { profileFromSubscriber, rankForSubscriber } from '../../src/ranking';
import { makePapers, makeRound, vocabulary } from './fixtures';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '3000,10000' },
    emails: { type: 'string', default: '1000' },
    /** Send from an edition of this many candidates first, as an isolate that has worked before. */
    after: { type: 'string' },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:memory does)');

const MB = 1024 * 1024;
function used(): number {
  gc!();
  gc!();
  const memory = process.memoryUsage();
  return (memory.heapUsed + memory.external) / MB;
}

// Only what rendering reads; the rest of a Worker's bindings are not used here.
const config = parseConfig({
  DB: {} as D1Database,
  ENVIRONMENT: 'development',
  PUBLIC_URL: 'https://digest.example.com',
  TOKEN_SECRET: 'bench-token-secret-bench-token-secret-0123',
} as Partial<Parameters<typeof parseConfig>[0]> as Parameters<typeof parseConfig>[0]);

interface Pipeline {
  /** The previous message's request: its body is alive until Resend answers. */
  inFlight: EmailBatch | null;
}

/**
 * One message as the consumer sends it: 100 subscribers ranked and rendered while the
 * previous message's request is in flight (answered at the latest once this one is
 * encoded), then encoded. The previous request counts until then; in a function of its own
 * so that no variable of an earlier batch stays alive in a suspended frame.
 */
async function sendBatch(
  context: EditionContext,
  words: string[],
  from: number,
  count: number,
  pipeline: Pipeline,
  step: (what: string) => number,
): Promise<number> {
  if (sendsOneAtATime(context.papers.length) && pipeline.inFlight) {
    // A large edition's next message prepares only once the previous one is done.
    releaseBatch(pipeline.inFlight);
    pipeline.inFlight = null;
  }
  const readers = makeRound(context.papers, words, count, from + 1);
  const batch: OutgoingEmail[] = [];
  for (const reader of readers) {
    const ranked = rankForSubscriber(context.index, profileFromSubscriber(reader.subscriber), {
      exclude: reader.exclude,
    }).papers;
    batch.push(await renderEmail(config, context, reader.subscriber, reader.deliveryId, ranked));
  }
  const request = encodeBatch(batch);
  // Measured while this batch, its request and the one still in flight are alive.
  const now = step(`+ 100 emails ranked, rendered, encoded (${from + count})`);
  if (pipeline.inFlight) releaseBatch(pipeline.inFlight);
  pipeline.inFlight = request;
  return now;
}

async function measure(candidates: number, emails: number, baseline: number) {
  let last = used();
  const lines: string[] = [];
  const step = (what: string) => {
    const now = used();
    lines.push(
      `  ${what.padEnd(52)} ${(now - baseline).toFixed(1).padStart(6)} MB  (+${(now - last).toFixed(1)})`,
    );
    last = now;
    return now - baseline;
  };
  // As the sender does when it sets up an edition (src/delivery/render.ts).
  releaseSpareBodies();
  // The candidates as D1 holds them: outside the isolate (files here), read a page at a
  // time as the sender reads them, each page's strings their own.
  const dir = mkdtempSync(join(tmpdir(), 'papers-digest-memory-'));
  const { words, ids } = (() => {
    const generated = makePapers(candidates);
    for (let from = 0; from < candidates; from += EDITION_PAGE) {
      writeFileSync(join(dir, `${from}.json`), JSON.stringify(generated.slice(from, from + EDITION_PAGE)));
    }
    return { words: vocabulary(generated), ids: generated.map((paper) => paper.id) };
  })();
  step('candidates stored (outside the isolate)');
  const record: Edition = {
    id: `daily-memory-${candidates}`,
    frequency: 'daily',
    periodKey: '2026-11-26',
    plannedAt: '2026-11-26T08:00:00.000Z',
    windowStart: '2026-11-25T08:00:00.000Z',
    windowEnd: '2026-11-26T08:00:00.000Z',
    paperIds: ids,
  };
  // The setup's high point is while pages are read: measured as each page is asked for,
  // the previous one (its whole texts) still held.
  let setup = 0;
  async function* pages(): AsyncGenerator<Paper[]> {
    for (let from = 0; from < candidates; from += EDITION_PAGE) {
      const page: Paper[] = JSON.parse(readFileSync(join(dir, `${from}.json`), 'utf8'));
      yield page;
      setup = Math.max(setup, used() - baseline);
    }
  }
  let context: EditionContext | null = await editionContext(config, record, pages());
  rmSync(dir, { recursive: true });
  lines.push(
    `  ${'setup: while its pages are read (highest)'.padEnd(52)} ${setup.toFixed(1).padStart(6)} MB`,
  );
  const ready = step('edition ready to send (index, render, papers)');
  let peak = Math.max(ready, setup);
  // The request in flight while the next message prepares, as the queue consumer pipelines
  // them: held in an object, so that the only reference is the one the sender would hold.
  const pipeline: Pipeline = { inFlight: null };
  for (let from = 0; from < emails; from += 100) {
    const count = Math.min(100, emails - from);
    peak = Math.max(peak, await sendBatch(context, words, from, count, pipeline, step));
  }
  if (pipeline.inFlight) releaseBatch(pipeline.inFlight);
  pipeline.inFlight = null;
  const held = step('after the last batch (caches, filled cards)');
  // Read here so the edition counts above (a variable not read again may be collected).
  if (context.papers.length !== candidates) throw new Error('the edition lost papers');
  // As the sender's edition shelf does when it lets an edition go.
  context.index.cache.release();
  context = null;
  step('edition dropped');
  return { lines, ready, peak, held };
}

/**
 * Each size in a process of its own, as each edition would start in a fresh isolate, and
 * the largest once more after a 3,000-candidate edition was sent from the same process:
 * what an isolate keeps between editions (its interest cache, spare request buffers) is
 * there when the next one is set up.
 */
async function main() {
  const sizes = values.candidates.split(',').map(Number);
  if (sizes.length === 1) {
    const empty = used();
    if (values.after) {
      const before = await measure(Number(values.after), Number(values.emails), empty);
      console.log(`${values.after} candidates first:`);
      for (const line of before.lines) console.log(line);
    }
    const { lines, ready, peak } = await measure(sizes[0]!, Number(values.emails), empty);
    console.log(`${sizes[0]} candidates: isolate memory above an empty one`);
    for (const line of lines) console.log(line);
    console.log(
      JSON.stringify({ ready_mb: Math.round(ready * 10) / 10, peak_mb: Math.round(peak * 10) / 10 }),
    );
    return;
  }
  const results: Record<string, unknown> = {};
  const runs = sizes.map((size) => ({ key: String(size), args: ['--candidates', String(size)] }));
  const largest = Math.max(...sizes);
  runs.push({ key: `${largest}_after_3000`, args: ['--candidates', String(largest), '--after', '3000'] });
  for (const run of runs) {
    const args = ['--expose-gc', __filename, ...run.args, '--emails', values.emails];
    const output = execFileSync(process.execPath, args, { encoding: 'utf8' }).trimEnd().split('\n');
    console.log(output.slice(0, -1).join('\n'));
    results[run.key] = JSON.parse(output.at(-1)!);
  }
  console.log(JSON.stringify(results));
}

// Bundled as CommonJS (the render libraries require Node built-ins): no top-level await.
void main();
