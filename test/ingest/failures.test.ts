/**
 * Upstream failures: a non-2xx, a timeout, a network error or an unusable body fails
 * only that source for this run, is recorded in ingest_runs with its error (so the next
 * cron retries and /dev can say so), and never loses what was already fetched. Empty
 * lists (weekends, holidays) are successful runs.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { latestIngestRuns } from '../../src/db/ingest-runs';
import { countPapers } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { MAX_UPSTREAM_BYTES } from '../../src/ingest/http';
import { adminRequest, request } from '../helpers/app';
import { delay, fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV, ARXIV_QUERY_URL, atomHeaders, HF_DAILY_URL, hfNewShape } from './fixtures';

const at = new Date('2025-03-11T03:20:00Z');

beforeEach(async () => {
  // app_state too: a Retry-After one test is answered holds off the next runs (not-before.test.ts).
  await env.DB.batch([
    env.DB.prepare('DELETE FROM papers'),
    env.DB.prepare('DELETE FROM ingest_runs'),
    env.DB.prepare('DELETE FROM app_state'),
  ]);
});

async function latestRun(source: string) {
  return (await latestIngestRuns(env.DB)).find((run) => run.source === source)!;
}

describe('Hugging Face failures', () => {
  it('records a 500 as a failed run and answers 502 to the admin', async () => {
    fakeHttp.use(
      http.get(HF_DAILY_URL, () => HttpResponse.json({ error: 'Internal Error' }, { status: 500 })),
    );
    const response = await adminRequest('/admin/ingest', {
      method: 'POST',
      body: JSON.stringify({ date: '2025-03-11', sources: ['hf'] }),
    });
    expect(response.status).toBe(502);
    const body = await response.json<{ ok: boolean; runs: { status: string; errors: string[] }[] }>();
    expect(body.ok).toBe(false);
    expect(body.runs[0]!.status).toBe('failed');
    expect(body.runs[0]!.errors[0]).toContain('HTTP 500');
    const run = await latestRun('hf');
    expect(run.status).toBe('failed');
    expect(run.errors[0]).toMatch(/^2025-03-11: huggingface\.co\/api\/daily_papers answered HTTP 500/);
  });

  it('records what a gateway’s HTML error page says, not its markup', async () => {
    // The page CloudFront (in front of the Hub) serves when it cannot reach the origin.
    const page = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">
<style type="text/css">body { font-family: Verdana, Arial, Helvetica, sans-serif; font-size: 12px; color: #000; }</style>
<TITLE>ERROR: The request could not be satisfied</TITLE>
</HEAD><BODY>
<H1>502 ERROR</H1>
<H2>The request could not be satisfied.</H2>
<HR noshade size="1px">
CloudFront wasn't able to connect to the origin.
<BR clear="all">
</BODY></HTML>`;
    fakeHttp.use(
      http.get(
        HF_DAILY_URL,
        () => new HttpResponse(page, { status: 502, headers: { 'content-type': 'text/html' } }),
      ),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(runs[0]!.errors[0]).toMatch(
      /HTTP 502: ERROR: The request could not be satisfied 502 ERROR The request could not be satisfied\. CloudFront wasn't able to connect/,
    );
    expect(runs[0]!.errors[0]).not.toMatch(/[<>{}]/);
  });

  it('aborts a request that takes too long', async () => {
    fakeHttp.use(
      http.get(HF_DAILY_URL, async () => {
        await delay('infinite');
        return HttpResponse.json([]);
      }),
    );
    const { runs } = await runIngest(appContext(env), {
      sources: ['hf'],
      at,
      date: '2025-03-11',
      tuning: { hfTimeoutMs: 50 },
    });
    expect(runs[0]).toMatchObject({ status: 'failed', inserted: 0 });
    expect(runs[0]!.errors[0]).toContain('timed out after 50 ms');
  });

  it('fails on a body that is not JSON (e.g. an HTML error page with status 200)', async () => {
    fakeHttp.use(
      http.get(HF_DAILY_URL, () =>
        HttpResponse.html('<html><body>We are down for maintenance</body></html>'),
      ),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('not JSON');
  });

  it('fails on JSON that is not a list', async () => {
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json({ error: 'Rate limited' })));
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('Rate limited');
  });

  it('fails on a network error', async () => {
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.error()));
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('unreachable');
  });

  it('keeps the days that worked when one day of the refresh fails', async () => {
    const list = hfNewShape();
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        const date = new URL(request.url).searchParams.get('date');
        if (date === '2025-03-10') return new HttpResponse('upstream timeout', { status: 504 });
        return HttpResponse.json(date === '2025-03-11' ? list : []);
      }),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at });
    expect(runs[0]).toMatchObject({ status: 'failed', inserted: 12, window: '2025-03-08..2025-03-11' });
    expect(runs[0]!.errors).toEqual([expect.stringMatching(/^2025-03-10: .*HTTP 504: upstream timeout/)]);
    expect(await countPapers(env.DB)).toBe(12);
  });

  it('stops at a 429 and records its Retry-After instead of asking for the other days', async () => {
    const requested: string[] = [];
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        requested.push(new URL(request.url).searchParams.get('date') ?? '');
        // What the Hub answers a client over its rate limit.
        return HttpResponse.json(
          { error: 'You have exceeded our hourly quotas for action: api. Try again in 120 seconds.' },
          { status: 429, headers: { 'retry-after': '120', 'ratelimit-remaining': '0' } },
        );
      }),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at });
    expect(requested).toEqual(['2025-03-11']);
    expect(runs[0]).toMatchObject({ status: 'failed', fetched: 0 });
    expect(runs[0]!.errors).toEqual([expect.stringMatching(/^2025-03-11: .*HTTP 429 \(retry after 120 s\)/)]);
  });

  it('treats an empty list (weekend) as a successful run', async () => {
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json([])));
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at });
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 0, inserted: 0, errors: [] });
  });
});

describe('arXiv failures', () => {
  it('fails with the API’s own message for an error feed (HTTP 400)', async () => {
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, () => new HttpResponse(ARXIV.error, { status: 400, headers: atomHeaders })),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('incorrect id format for 1234.12345v1');
    expect((await latestRun('arxiv')).status).toBe('failed');
  });

  it('fails for an error feed served with status 200', async () => {
    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse(ARXIV.error, { headers: atomHeaders })));
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('arXiv API error');
  });

  it('fails on a body that is not XML', async () => {
    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => HttpResponse.json({ entries: [] })));
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at });
    expect(runs[0]!.status).toBe('failed');
    expect(runs[0]!.errors[0]).toContain('not XML');
  });

  it('fails on a 503 and on a timeout', async () => {
    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse('Service Unavailable', { status: 503 })));
    const first = await runIngest(appContext(env), { sources: ['arxiv'], at });
    expect(first.runs[0]!.errors[0]).toContain('HTTP 503');

    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, async () => {
        await delay('infinite');
        return new HttpResponse(ARXIV.empty, { headers: atomHeaders });
      }),
    );
    const second = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { arxivTimeoutMs: 50 },
    });
    expect(second.runs[0]!.status).toBe('failed');
    expect(second.runs[0]!.errors[0]).toContain('timed out');
  });

  // arXiv crawls once a day: a busy answer with a short Retry-After cost the whole day's
  // listing until the next cron, though asking again a moment later gets it.
  it('asks again after a short Retry-After on a 503, and gives up on a long one', async () => {
    const times: number[] = [];
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, () => {
        times.push(Date.now());
        return times.length === 1
          ? new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '1' } })
          : new HttpResponse(ARXIV.cs, { headers: atomHeaders });
      }),
    );
    const tuning = { arxivRequestIntervalMs: 5, arxivWindowDays: 30 };
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning });
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 8, errors: [] });

    times.length = 0;
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, () => {
        times.push(Date.now());
        return new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '600' } });
      }),
    );
    const later = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning });
    expect(times).toHaveLength(1);
    expect(later.runs[0]!.status).toBe('failed');
    expect(later.runs[0]!.errors[0]).toContain('HTTP 503 (retry after 600 s)');
  });

  it('treats an empty result set as a successful run', async () => {
    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse(ARXIV.empty, { headers: atomHeaders })));
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at });
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 0, inserted: 0 });
  });

  it('fails one source without affecting the other', async () => {
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, () => new HttpResponse('Bad gateway', { status: 502 })),
      http.get(HF_DAILY_URL, () => HttpResponse.json(hfNewShape())),
    );
    const { runs } = await runIngest(appContext(env), { sources: ['hf', 'arxiv'], at, date: '2025-03-11' });
    expect(runs.map((run) => [run.source, run.status])).toEqual([
      ['hf', 'ok'],
      ['arxiv', 'failed'],
    ]);
    expect(await countPapers(env.DB)).toBe(12);
  });
});

describe('/dev', () => {
  it('says plainly when the last run of a source failed, and stops once it recovers', async () => {
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.error()));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    const failing = await (await request('/dev', { headers: { accept: 'text/html' } })).text();
    expect(failing).toContain('Hugging Face Daily Papers is unreachable');
    expect(failing).toContain('npm run seed:local');
    expect(failing).toContain('href="/dev/outbox"');

    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(hfNewShape())));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    const recovered = await (await request('/dev', { headers: { accept: 'text/html' } })).text();
    expect(recovered).not.toContain('unreachable');
    expect(recovered).toContain('12 papers stored');
  });
});

describe('an oversized answer', () => {
  // A real page is well under a megabyte (200 arXiv entries ~0.5 MB, 100 HF items ~0.3 MB);
  // an upstream gone wrong must not hold the isolate's memory with a body of any size.
  it('fails the run with a clear error instead of reading a body past the cap', async () => {
    const huge = `[${'{"paper":{},"padding":"x"},'.repeat(400_000)}{}]`;
    expect(huge.length).toBeGreaterThan(MAX_UPSTREAM_BYTES);
    fakeHttp.use(
      // Streamed without a Content-Length, as a chunked answer comes: the cap holds either way.
      http.get(HF_DAILY_URL, () => {
        const bytes = new TextEncoder().encode(huge);
        const stream = new ReadableStream({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 65_536)
              controller.enqueue(bytes.slice(at, at + 65_536));
            controller.close();
          },
        });
        return new HttpResponse(stream, { headers: { 'content-type': 'application/json' } });
      }),
    );
    const result = await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' });
    expect(result.runs[0]).toMatchObject({ status: 'failed' });
    expect(result.runs[0]!.errors[0]).toMatch(/more than 8 MB/);
    expect(await countPapers(env.DB)).toBe(0);
  });
});
