/**
 * An ingest run inside one invocation's budget at the most it may fetch: the arXiv crawl's
 * full 20 pages of 200 (4,000 entries, a busy window) and the Hugging Face cron's four
 * lists of 100. Statements are counted through a D1 binding that records them (Workers
 * allow 1,000 a run, we plan for 500): they must grow with the pages fetched, a few per
 * page, never with the papers (no statement per paper).
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { appContext } from '../../src/env';
import { DEFAULT_INGEST_TUNING, runIngest } from '../../src/ingest';
import { spyD1 } from '../helpers/d1-spy';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV_QUERY_URL, atomEntry, atomFeed, atomHeaders, HF_DAILY_URL, hfNewShape } from './fixtures';

const at = new Date('2025-03-11T01:30:00Z');
const { arxivMaxPages, arxivPageSize, hfPageSize, hfRefreshDays } = DEFAULT_INGEST_TUNING;

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('DELETE FROM papers'), env.DB.prepare('DELETE FROM app_state')]);
});

describe('ingest budget', () => {
  it('crawls 20 pages of 200 arXiv entries in a few statements a page', async () => {
    const total = arxivMaxPages * arxivPageSize + 500;
    // Newest first, a minute apart: every entry is inside the 4-day window.
    const entryAt = (index: number) =>
      new Date(Date.parse('2025-03-11T00:00:00Z') - index * 60_000).toISOString().replace('.000Z', 'Z');
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, ({ request }) => {
        const url = new URL(request.url);
        const start = Number(url.searchParams.get('start'));
        const size = Number(url.searchParams.get('max_results'));
        const page = Array.from({ length: Math.min(size, total - start) }, (_, offset) => {
          const index = start + offset;
          return atomEntry({
            id: `2503.${String(10000 + index)}`,
            title: `Paper number ${index}`,
            published: entryAt(index),
            authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper'],
            categories: ['cs.LG', 'stat.ML'],
          });
        });
        return new HttpResponse(atomFeed(page, { totalResults: total, startIndex: start }), {
          headers: atomHeaders,
        });
      }),
    );
    const spy = spyD1(env.DB);
    const { runs } = await runIngest(appContext({ ...env, DB: spy.db }), {
      sources: ['arxiv'],
      at,
      tuning: { arxivRequestIntervalMs: 1 },
    });
    const { statements, rowsWritten } = spy.totals();
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 4_000, inserted: 4_000 });
    // Per page: the request slot and its end, the stored rows read, 4 upserts of 50.
    expect(statements).toBeLessThanOrEqual(arxivMaxPages * 7 + 10);
    // 50 rows a statement, each with its index entries (7 for a new paper).
    expect(Math.max(...spy.calls.map((call) => call.rowsWritten))).toBeLessThanOrEqual(50 * 8);
    expect(rowsWritten).toBeLessThan(4_000 * 8 + 100);
  });

  it('refreshes four Hugging Face lists of 100 in a few statements a list', async () => {
    const base = hfNewShape()[0]!;
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        const url = new URL(request.url);
        const day = url.searchParams.get('date')!;
        if (url.searchParams.get('p') !== '0') return HttpResponse.json([]);
        const list = Array.from({ length: hfPageSize }, (_, index) => {
          const item = structuredClone(base);
          item.paper.id = `2503.${day.slice(8)}${String(index).padStart(3, '0')}`;
          item.paper.upvotes = index;
          return item;
        });
        return HttpResponse.json(list);
      }),
    );
    const app = appContext(env);
    await runIngest(app, { sources: ['hf'], at });
    // The next cron: the same lists again, their upvotes refreshed.
    const spy = spyD1(env.DB);
    const { runs } = await runIngest(appContext({ ...env, DB: spy.db }), { sources: ['hf'], at });
    expect(runs[0]!.fetched).toBe((hfRefreshDays + 1) * hfPageSize);
    // Per list: the stored rows read and 2 upserts of 50 (the empty second page costs none), and the run's row.
    expect(spy.totals().statements).toBeLessThanOrEqual((hfRefreshDays + 1) * 3 + 2);
  });
});
