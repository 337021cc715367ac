/**
 * An upstream's Retry-After longer than a run waits is kept in D1 ("not before T"), so the
 * next run (the next cron, or an operator's POST /admin/ingest) does not ask again before
 * T: it is reported as skipped, says until when and why, and the ingest status shows the
 * wait. Once T has passed, the next run asks as usual.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { tryAcquireIngestLease } from '../../src/db/ingest-runs';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { ingestHealth } from '../../src/ingest/status';
import { adminRequest, request } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV, ARXIV_QUERY_URL, atomHeaders, HF_DAILY_URL, hfDailyList, hfNewShape } from './fixtures';

const at = new Date('2025-03-11T03:20:00Z');

beforeEach(async () => {
  await env.DB.exec('DELETE FROM papers;\nDELETE FROM ingest_runs;\nDELETE FROM app_state;');
});

/** What the Hub answers a client over its rate limit, counting the requests. */
function serveHfRateLimited(retryAfter: string) {
  const asked: string[] = [];
  fakeHttp.use(
    http.get(HF_DAILY_URL, ({ request }) => {
      asked.push(request.url);
      return HttpResponse.json(
        { error: 'You have exceeded our hourly quotas for action: api. Try again later.' },
        { status: 429, headers: { 'retry-after': retryAfter, 'ratelimit-remaining': '0' } },
      );
    }),
  );
  return asked;
}

describe('Retry-After across runs', () => {
  it('Hugging Face: the next run does not ask before the time the 429 gave, and says so', async () => {
    const asked = serveHfRateLimited('3600');
    const first = await runIngest(appContext(env), { sources: ['hf'], at });
    expect(first.runs[0]!.status).toBe('failed');
    expect(asked).toHaveLength(1);

    const before = Date.now();
    const next = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-10' });
    expect(asked).toHaveLength(1);
    expect(next.runs[0]).toMatchObject({ id: null, source: 'hf', status: 'skipped', fetched: 0 });
    expect(next.runs[0]!.errors).toEqual([
      expect.stringMatching(
        /^Hugging Face Daily Papers asked to wait until \S+Z \(.*HTTP 429 \(retry after 3600 s\)/,
      ),
    ]);

    const { waiting } = await ingestHealth(env.DB);
    expect(waiting).toEqual([
      {
        source: 'hf',
        name: 'Hugging Face Daily Papers',
        until: expect.any(String),
        reason: expect.any(String),
      },
    ]);
    const until = Date.parse(waiting[0]!.until);
    expect(until).toBeGreaterThanOrEqual(before + 3_500_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('asks again once the time has passed, and the wait is no longer shown', async () => {
    serveHfRateLimited('1');
    await runIngest(appContext(env), { sources: ['hf'], at });
    expect((await ingestHealth(env.DB)).waiting).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    fakeHttp.use(hfDailyList(hfNewShape()));
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 12 });
    expect((await ingestHealth(env.DB)).waiting).toEqual([]);
  });

  it('arXiv: a Retry-After longer than a crawl waits holds off the next crawl', async () => {
    const asked: string[] = [];
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, ({ request }) => {
        asked.push(request.url);
        return new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '7200' } });
      }),
    );
    const tuning = { arxivRequestIntervalMs: 5 };
    const first = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning });
    expect(first.runs[0]!.status).toBe('failed');

    const next = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning });
    expect(asked).toHaveLength(1);
    expect(next.runs[0]).toMatchObject({ status: 'skipped', source: 'arxiv' });
    expect(next.runs[0]!.errors[0]).toMatch(/^arXiv asked to wait until /);
    // Hugging Face is another host: it is not held off.
    fakeHttp.use(hfDailyList(hfNewShape()));
    const hf = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(hf.runs[0]!.status).toBe('ok');
  });

  it('keeps nothing when the crawl waited out a short Retry-After itself', async () => {
    let answers = 0;
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, () =>
        answers++ === 0
          ? new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '1' } })
          : new HttpResponse(ARXIV.cs, { headers: atomHeaders }),
      ),
    );
    const tuning = { arxivRequestIntervalMs: 5, arxivWindowDays: 30 };
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning });
    expect(runs[0]!.status).toBe('ok');
    expect((await ingestHealth(env.DB)).waiting).toEqual([]);
  });
});

describe('POST /admin/ingest while a source waits', () => {
  const post = (sources: string[]) =>
    adminRequest('/admin/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sources }),
    });

  it('answers 503 with Retry-After, not a 200 "ok" for a run that asked nothing', async () => {
    const asked = serveHfRateLimited('3600');
    expect((await post(['hf'])).status).toBe(502);
    const response = await post(['hf']);
    expect(asked).toHaveLength(1);
    expect(response.status).toBe(503);
    const seconds = Number(response.headers.get('retry-after'));
    expect(seconds).toBeGreaterThan(3_500);
    expect(seconds).toBeLessThanOrEqual(3_600);
    const body = (await response.json()) as { ok: boolean; runs: { status: string; retry_at?: string }[] };
    expect(body.ok).toBe(false);
    expect(body.runs[0]).toMatchObject({ status: 'skipped', retry_at: expect.stringMatching(/Z$/) });
  });

  it('answers 409 while another arXiv crawl holds the one connection arXiv allows', async () => {
    expect(await tryAcquireIngestLease(env.DB, 'arxiv', new Date(), 600_000)).toBe(true);
    const response = await post(['arxiv']);
    expect(response.status).toBe(409);
    const body = (await response.json()) as { ok: boolean; runs: { status: string; errors: string[] }[] };
    expect(body.ok).toBe(false);
    expect(body.runs[0]!.errors[0]).toMatch(/another arXiv ingest is running/);
  });
});

describe('the pages an operator reads while a source waits', () => {
  it('the admin dashboard and /dev name the source, until when and why', async () => {
    serveHfRateLimited('3600');
    await runIngest(appContext(env), { sources: ['hf'], at });
    for (const page of [await adminRequest('/admin'), await request('/dev')]) {
      const html = await page.text();
      expect(html).toMatch(/Hugging Face Daily Papers asked us to wait<\/strong> until/);
      expect(html).toContain('retry after 3600 s');
    }
  });

  it('say nothing when no source waits', async () => {
    const dashboard = await (await adminRequest('/admin')).text();
    expect(dashboard).not.toContain('asked us to wait');
  });
});
