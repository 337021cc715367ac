/**
 * The arXiv crawl: pages through newest submissions one request at a time, stops at the
 * window or the page cap, queries ARXIV_CATEGORIES plus subscribers' categories, and never
 * runs two crawls at once, and keeps arXiv's request spacing across runs (the last request
 * time lives in D1). The request interval is shortened here; production keeps the 3 s
 * arXiv asks for.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { countPapers, getPapersByIds } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { DEFAULT_INGEST_TUNING, runIngest } from '../../src/ingest';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV_QUERY_URL, atomEntry, atomFeed, atomHeaders } from './fixtures';

const at = new Date('2025-03-11T01:30:00Z');
const fast = { arxivRequestIntervalMs: 5, arxivPageSize: 3 };

/** 10 entries, one every 12 hours back from 2025-03-11T00:00Z, newest first. */
const entries = Array.from({ length: 10 }, (_, index) => {
  const published = new Date(Date.parse('2025-03-11T00:00:00Z') - index * 12 * 3_600_000).toISOString();
  return {
    id: `2503.${String(10000 + index)}`,
    published: published.replace('.000Z', 'Z'),
    xml: atomEntry({
      id: `2503.${String(10000 + index)}`,
      title: `Paper number ${index}`,
      published: published.replace('.000Z', 'Z'),
      categories: ['cs.LG', 'stat.ML'],
    }),
  };
});

/** Serves `entries` like the export API (start/max_results), tracking overlapping requests. */
function serveArxiv() {
  const log = { starts: [] as number[], queries: [] as string[], times: [] as number[], maxInFlight: 0 };
  let inFlight = 0;
  fakeHttp.use(
    http.get(ARXIV_QUERY_URL, async ({ request }) => {
      inFlight += 1;
      log.times.push(Date.now());
      log.maxInFlight = Math.max(log.maxInFlight, inFlight);
      const url = new URL(request.url);
      const start = Number(url.searchParams.get('start'));
      const size = Number(url.searchParams.get('max_results'));
      log.starts.push(start);
      log.queries.push(url.searchParams.get('search_query') ?? '');
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      const page = entries.slice(start, start + size).map((entry) => entry.xml);
      return new HttpResponse(atomFeed(page, { totalResults: entries.length, startIndex: start }), {
        headers: atomHeaders,
      });
    }),
  );
  return log;
}

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM papers'),
    env.DB.prepare('DELETE FROM ingest_runs'),
    env.DB.prepare('DELETE FROM subscribers'),
    env.DB.prepare('DELETE FROM app_state'),
  ]);
});

describe('arXiv crawl', () => {
  it('waits 3 s between requests in production', () => {
    expect(DEFAULT_INGEST_TUNING.arxivRequestIntervalMs).toBe(3000);
  });

  // Issue 12, smaller items: "Two ingest runs in a row sent arXiv requests 0.36 s apart".
  it('keeps the interval across runs: the next run waits for the last request of the previous one', async () => {
    const log = serveArxiv();
    const spaced = { ...fast, arxivRequestIntervalMs: 400 };
    const app = appContext(env);
    await runIngest(app, { sources: ['arxiv'], at, tuning: spaced });
    const firstRun = log.times.length;
    await runIngest(app, { sources: ['arxiv'], at, tuning: spaced });
    expect(firstRun).toBeGreaterThan(1);
    expect(log.times.length).toBeGreaterThan(firstRun);
    const gaps = log.times.slice(1).map((time, index) => time - log.times[index]!);
    // Every pair of consecutive requests, including the one across the two runs.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(390);
    const stored = await env.DB.prepare(
      `SELECT value FROM app_state WHERE key = 'arxiv_last_request'`,
    ).first<{
      value: string;
    }>();
    expect(JSON.parse(stored!.value).at).toBeGreaterThanOrEqual(log.times.at(-1)! - 100);
  });

  it('pages one request at a time and stops at entries older than the window', async () => {
    const log = serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 2 },
    });
    // Window: since 2025-03-09T01:30Z → entries 0..3 (down to 2025-03-09T12:00Z) are in it;
    // page 2 (entries 3..5) reaches older ones, so the crawl stops there.
    expect(log.starts).toEqual([0, 3]);
    expect(log.maxInFlight).toBe(1);
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 6, inserted: 4 });
    expect(await countPapers(env.DB)).toBe(4);
    expect(await getPapersByIds(env.DB, ['2503.10004'])).toEqual([]);
  });

  it('stops at the page cap', async () => {
    const log = serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30, arxivMaxPages: 2 },
    });
    expect(log.starts).toEqual([0, 3]);
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 6 });
  });

  it('stops when the results run out', async () => {
    const log = serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30 },
    });
    expect(log.starts).toEqual([0, 3, 6, 9]);
    expect(runs[0]).toMatchObject({ fetched: 10, inserted: 10 });
  });

  it('queries ARXIV_CATEGORIES plus the categories active subscribers chose', async () => {
    const now = new Date().toISOString();
    await env.DB.batch(
      [
        ['a@example.org', 'active', 'diffusion models, cs.RO; stat.ml'],
        ['b@example.org', 'pending', 'q-bio.NC'],
        ['c@example.org', 'active', 'author: Yann LeCun, cs.CL'],
      ].map(([email, status, interests]) =>
        env.DB.prepare(
          'INSERT INTO subscribers (id, email, status, interests, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).bind(crypto.randomUUID(), email, status, interests, now, now),
      ),
    );
    const log = serveArxiv();
    await runIngest(appContext(env), { sources: ['arxiv'], at, tuning: { ...fast, arxivMaxPages: 1 } });
    expect(log.queries[0]).toBe(
      'cat:cs.CL OR cat:cs.LG OR cat:cs.AI OR cat:cs.CV OR cat:cs.RO OR cat:stat.ML',
    );
  });

  it('never runs two crawls at the same time', async () => {
    const log = serveArxiv();
    const context = appContext(env);
    const options = { sources: ['arxiv' as const], at, tuning: { ...fast, arxivWindowDays: 30 } };
    const [first, second] = await Promise.all([runIngest(context, options), runIngest(context, options)]);
    const statuses = [first.runs[0]!.status, second.runs[0]!.status].sort();
    expect(statuses).toEqual(['ok', 'skipped']);
    expect(log.maxInFlight).toBe(1);
    expect(log.starts).toEqual([0, 3, 6, 9]);
    // The lease is released: the next crawl runs.
    const third = await runIngest(context, options);
    expect(third.runs[0]!.status).toBe('ok');
  });
});
