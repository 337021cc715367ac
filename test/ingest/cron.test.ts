/**
 * The cron path through the Worker's real `scheduled` handler: the Hugging Face cron takes
 * today's list (UTC) and refreshes the previous three days; the arXiv cron takes the recent
 * submissions of the configured categories.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { latestIngestRuns } from '../../src/db/ingest-runs';
import { countPapers, getPapersByIds } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { runScheduled } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV, ARXIV_QUERY_URL, atomHeaders, HF_DAILY_URL, hfNewShape } from './fixtures';

describe('ingest crons', () => {
  it('Hugging Face: today plus an upvote refresh of the previous 3 days', async () => {
    const list = hfNewShape();
    const requested: string[] = [];
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        const url = new URL(request.url);
        requested.push(
          `${url.searchParams.get('date')} limit=${url.searchParams.get('limit')} p=${url.searchParams.get('p')}`,
        );
        return HttpResponse.json(url.searchParams.get('date') === '2025-03-11' ? list : []);
      }),
    );
    await runScheduled(CRONS.ingestHuggingFace, Date.parse('2025-03-11T21:20:00Z'));
    expect(requested).toEqual([
      '2025-03-11 limit=100 p=0',
      // A short first page may be the API's page size: the next is asked in it (this fake
      // ignores `p` and serves the same list again, which ends the day).
      '2025-03-11 limit=12 p=1',
      '2025-03-10 limit=100 p=0',
      '2025-03-09 limit=100 p=0',
      '2025-03-08 limit=100 p=0',
    ]);
    expect(await countPapers(env.DB)).toBe(12);
    const hf = (await latestIngestRuns(env.DB)).find((run) => run.source === 'hf')!;
    expect(hf).toMatchObject({ status: 'ok', window: '2025-03-08..2025-03-11', inserted: 12, fetched: 12 });

    // Three hours later the list has more upvotes: the same cron refreshes them.
    list[0]!.paper.upvotes += 25;
    await runScheduled(CRONS.ingestHuggingFace, Date.parse('2025-03-12T00:20:00Z'));
    const [paper] = await getPapersByIds(env.DB, [list[0]!.paper.id]);
    expect(paper!.upvotes).toBe(list[0]!.paper.upvotes);
    const refresh = (await latestIngestRuns(env.DB)).find((run) => run.source === 'hf')!;
    expect(refresh).toMatchObject({ window: '2025-03-09..2025-03-12', inserted: 0, updated: 1 });
  });

  it('arXiv: the newest submissions of the configured categories', async () => {
    const queries: URLSearchParams[] = [];
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return new HttpResponse(ARXIV.cs, { headers: atomHeaders });
      }),
    );
    await runScheduled(CRONS.ingestArxiv, Date.parse('2025-03-11T01:30:00Z'));
    expect(queries).toHaveLength(1);
    expect(queries[0]!.get('search_query')).toBe('cat:cs.CL OR cat:cs.LG OR cat:cs.AI OR cat:cs.CV');
    expect(queries[0]!.get('max_results')).toBe('200');
    const arxiv = (await latestIngestRuns(env.DB)).find((run) => run.source === 'arxiv')!;
    // Four papers were already known from the Hugging Face list of the test above.
    expect(arxiv).toMatchObject({ status: 'ok', fetched: 8, inserted: 4, updated: 4 });
    expect(await countPapers(env.DB)).toBe(16);
  });

  it('a failing upstream does not fail the cron invocation: the next cron retries', async () => {
    fakeHttp.use(http.get(HF_DAILY_URL, () => new HttpResponse(null, { status: 503 })));
    await expect(
      runScheduled(CRONS.ingestHuggingFace, Date.parse('2025-03-12T03:20:00Z')),
    ).resolves.toBeUndefined();
    const hf = (await latestIngestRuns(env.DB)).find((run) => run.source === 'hf')!;
    expect(hf.status).toBe('failed');
    expect(hf.errors.length).toBe(4);
  });

  // The page cap keeps a run inside one invocation's budget; a list longer than it lost its
  // tail with the run still a plain "ok".
  it('Hugging Face: says so when a day’s list filled every page the cap allows', async () => {
    await env.DB.prepare('DELETE FROM papers').run();
    const list = hfNewShape();
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        const url = new URL(request.url);
        const page = Number(url.searchParams.get('p'));
        const size = Number(url.searchParams.get('limit'));
        return HttpResponse.json(list.slice(page * size, (page + 1) * size));
      }),
    );
    const tuning = { hfPageSize: 3, hfMaxPagesPerDay: 2 };
    const app = appContext(env);
    const capped = await runIngest(app, { sources: ['hf'], at: new Date(), date: '2025-03-11', tuning });
    expect(capped.runs[0]).toMatchObject({ status: 'ok', inserted: 6 });
    expect(capped.runs[0]!.errors).toEqual([
      expect.stringMatching(/^2025-03-11: stopped at the page cap \(2 pages of 3\).*may be left/),
    ]);
    const whole = await runIngest(app, {
      sources: ['hf'],
      at: new Date(),
      date: '2025-03-11',
      tuning: { ...tuning, hfMaxPagesPerDay: 5 },
    });
    expect(whole.runs[0]).toMatchObject({ status: 'ok', inserted: 6, errors: [] });
  });
});
