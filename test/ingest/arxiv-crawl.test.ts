/**
 * The arXiv crawl: pages through newest submissions one request at a time, stops at the
 * window or the page cap, queries ARXIV_CATEGORIES plus subscribers' categories, and never
 * runs two crawls at once, and keeps arXiv's request spacing across runs (the last request
 * time lives in D1). The request interval is shortened here; production keeps the 3 s
 * arXiv asks for. Subscribers' categories are stored beside their interests by every write
 * (sign-up, re-sign-up, preference change, import; migrations/0017) and the crawl asks D1
 * for the distinct ones of active subscribers, never for every interests text (at a million
 * subscribers that text is past the Worker's memory); rows stored before the migration
 * (categories NULL) still count.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { countPapers, getPapersByIds, upsertPapers } from '../../src/db/papers';
import { listFollowedCategories } from '../../src/db/subscribers';
import { appContext, parseConfig } from '../../src/env';
import { DEFAULT_INGEST_TUNING, runIngest } from '../../src/ingest';
import { parseArxivFeed } from '../../src/ingest/arxiv';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { insertSubscribers, makeSubscriber } from '../factories';
import { adminRequest, BASE_URL } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ageMailRequests, local, postForm, rowOf, subscribeAndConfirm } from '../helpers/subscribers';
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

/**
 * Serves `entries` like the export API (start/max_results), tracking overlapping requests.
 * `emptyAnswers` are request numbers (0-based) answered with no entries, as the API now and
 * then answers a page in the middle of a result set: the totals it then reports vary.
 */
function serveArxiv(emptyAnswers: Map<number, { totalResults: number }> = new Map()) {
  // `starts` are the crawl's by submission, not its look for new versions (by update).
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
      const byUpdate = url.searchParams.get('sortBy') === 'lastUpdatedDate';
      if (!byUpdate) log.starts.push(start);
      log.queries.push(url.searchParams.get('search_query') ?? '');
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      const empty = byUpdate ? undefined : emptyAnswers.get(log.starts.length - 1);
      if (empty) {
        return new HttpResponse(atomFeed([], { ...empty, startIndex: start }), { headers: atomHeaders });
      }
      const page = entries.slice(start, start + size).map((entry) => entry.xml);
      return new HttpResponse(atomFeed(page, { totalResults: entries.length, startIndex: start }), {
        headers: atomHeaders,
      });
    }),
  );
  return log;
}

const config = parseConfig(env);

/**
 * A stored v1 of 2502.00001 (submitted 2025-03-01), and the export API listing `entries` by
 * submission and, by last update, entry 0, that paper's withdrawal (v2, 03-10), a new version
 * of a paper we never stored, then one updated before the window. Returns the requests.
 */
async function serveNewVersions() {
  const older = (id: string, version: number, published: string, updated: string, comment?: string) =>
    atomEntry({ id, version, title: `Paper ${id}`, published, updated, categories: ['cs.LG'], comment });
  const v1 = parseArxivFeed(
    atomFeed([older('2502.00001', 1, '2025-03-01T10:00:00Z', '2025-03-01T10:00:00Z')]),
  );
  await upsertPapers(env.DB, v1.papers, '2025-03-02T01:30:00.000Z');
  const byUpdate = [
    entries[0]!.xml,
    older('2502.00001', 2, '2025-03-01T10:00:00Z', '2025-03-10T09:00:00Z', 'This paper has been withdrawn.'),
    older('2406.00002', 3, '2024-06-01T10:00:00Z', '2025-03-09T12:00:00Z'),
    older('2401.00003', 2, '2024-01-01T10:00:00Z', '2025-03-01T12:00:00Z'),
  ];
  const asked: string[] = [];
  fakeHttp.use(
    http.get(ARXIV_QUERY_URL, ({ request }) => {
      const url = new URL(request.url);
      const start = Number(url.searchParams.get('start'));
      const sort = url.searchParams.get('sortBy');
      asked.push(`${sort} ${start}`);
      const list = sort === 'lastUpdatedDate' ? byUpdate : entries.map((entry) => entry.xml);
      return new HttpResponse(atomFeed(list.slice(start, start + 3), { totalResults: list.length }), {
        headers: atomHeaders,
      });
    }),
  );
  return asked;
}

/** A crawl on 2025-03-07T01:30Z, when arXiv had announced only `entries` from `from` on. */
async function crawlBeforeTheBreak(from: number) {
  fakeHttp.use(
    http.get(
      ARXIV_QUERY_URL,
      () =>
        new HttpResponse(atomFeed(entries.slice(from).map((entry) => entry.xml)), { headers: atomHeaders }),
    ),
  );
  return runIngest(appContext(env), {
    sources: ['arxiv'],
    at: new Date('2025-03-07T01:30:00Z'),
    tuning: fast,
  });
}

/** Runs one page of arXiv ingest; returns the categories it asked arXiv for. */
async function crawledCategories(): Promise<string[]> {
  const log = serveArxiv();
  await runIngest(appContext(env), { sources: ['arxiv'], at, tuning: { ...fast, arxivMaxPages: 1 } });
  expect(log.queries).toHaveLength(1);
  return log.queries[0]!.split(' OR ').map((term) => term.replace(/^cat:/, ''));
}

const storedCategories = async (email: string) => (await rowOf(email))?.categories;

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

  // arXiv announces nothing over its year-end break (and after an outage of ours the same
  // holds): the first listing after it holds everything submitted during the break, much of
  // it older than the 4-day window, which the crawl dropped, unstored, for good.
  it('after days without announcements, fetches everything submitted since the last complete crawl', async () => {
    // Before the break arXiv had announced entries 8 and 9 (2025-03-06T12:00Z, 03-07T00:00Z).
    const before = await crawlBeforeTheBreak(8);
    expect(before.runs[0]).toMatchObject({ status: 'ok', inserted: 2 });

    // Six days later, one big announcement: entries 0..7, submitted 03-07T12:00Z to 03-11T00:00Z,
    // half of them before the 4-day window (since 03-09T01:30Z).
    const log = serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at: new Date('2025-03-13T01:30:00Z'),
      tuning: fast,
    });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 8, errors: [] });
    expect(await countPapers(env.DB)).toBe(10);
    // It went no further back than the newest submission it already had (entry 8).
    expect(log.starts).toEqual([0, 3, 6, 9]);
  });

  // arXiv lists a new version (a withdrawal above all) under the paper's first submission
  // date: a crawl by newest submissions never reached one of a paper submitted before its
  // window, and the stored copy went on being a candidate as it was.
  it('takes new versions of stored papers submitted before the window, and no other older paper', async () => {
    const asked = await serveNewVersions();
    const { runs } = await runIngest(appContext(env), { sources: ['arxiv'], at, tuning: fast });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 8, updated: 1, errors: [] });
    expect(asked).toEqual([
      'submittedDate 0',
      'submittedDate 3',
      'submittedDate 6',
      'lastUpdatedDate 0',
      'lastUpdatedDate 3',
    ]);
    const [paper] = await getPapersByIds(env.DB, ['2502.00001']);
    expect(paper).toMatchObject({ version: 2, withdrawn: true });
    expect(await getPapersByIds(env.DB, ['2406.00002', '2401.00003'])).toEqual([]);
  });

  it('looks for new versions within the pages the crawl left, and says when they ran out', async () => {
    const asked = await serveNewVersions();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivMaxPages: 4 },
    });
    expect(asked.filter((request) => request.startsWith('lastUpdatedDate'))).toEqual(['lastUpdatedDate 0']);
    expect(runs[0]).toMatchObject({ status: 'ok', updated: 1 });
    expect(runs[0]!.errors).toEqual([
      expect.stringMatching(/^new versions of papers submitted before .*page cap/),
    ]);
  });

  it('reaches back at most arxivMaxBacklogDays', async () => {
    await crawlBeforeTheBreak(9);
    serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 1, arxivMaxBacklogDays: 2 },
    });
    // Since 2025-03-09T01:30Z: entries 0..3, not back to entry 9 (2025-03-06T12:00Z).
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 4 });
    expect(runs[0]!.window).toMatch(/^since 2025-03-09T01:30:00\.000Z: /);
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

  // The page cap is what keeps a crawl inside one invocation's budget: a crawl it cut short
  // left the older part of its window unfetched and still answered a plain "ok".
  it('says so when the page cap stopped it before the start of its window', async () => {
    serveArxiv();
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30, arxivMaxPages: 2 },
    });
    expect(runs[0]!.status).toBe('ok');
    expect(runs[0]!.errors).toEqual([
      expect.stringMatching(
        /page cap \(2 pages of 3, 6 entries\).*before the start of the window.*not fetched/,
      ),
    ]);
    const stored = await env.DB.prepare(`SELECT errors FROM ingest_runs WHERE source = 'arxiv'`).first<{
      errors: string;
    }>();
    expect(JSON.parse(stored!.errors)).toEqual(runs[0]!.errors);
  });

  it('says nothing more when the crawl reached the start of its window or the end of the results', async () => {
    serveArxiv();
    const within = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 2, arxivMaxPages: 2 },
    });
    const all = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30, arxivMaxPages: 4 },
    });
    expect(within.runs[0]!.errors).toEqual([]);
    expect(all.runs[0]!.errors).toEqual([]);
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

  // The export API answers a page of a result set with no entries now and then (the arXiv.py
  // client retries such a page three times): one empty answer ended the crawl as "ok", the
  // rest of the window unfetched, and a second one anywhere later was not even retried.
  it('asks again for a page that came back empty in the middle of the results', async () => {
    const log = serveArxiv(
      new Map([
        [1, { totalResults: 10 }],
        [2, { totalResults: 0 }],
        [4, { totalResults: 10 }],
      ]),
    );
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30 },
    });
    expect(log.starts).toEqual([0, 3, 3, 3, 6, 6, 9]);
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 10, inserted: 10, errors: [] });
    expect(await countPapers(env.DB)).toBe(10);
  });

  it('fails, keeping what it fetched, when a page in the middle of the results stays empty', async () => {
    const stuck = { totalResults: 10 };
    const log = serveArxiv(new Map([2, 3, 4, 5, 6].map((request) => [request, stuck])));
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30 },
    });
    expect(log.starts).toEqual([0, 3, 6, 6, 6]);
    expect(runs[0]).toMatchObject({ status: 'failed', fetched: 6, inserted: 6 });
    expect(runs[0]!.errors).toEqual([
      expect.stringMatching(/start=6: .*3 empty answers for entries from 6 of 10/),
    ]);
    expect(await countPapers(env.DB)).toBe(6);
  });

  // Each page's wait is short, but a crawl that waited on every page would outlast the
  // invocation (a cron may run 15 minutes) and never record its run.
  it('waits out busy answers only up to a total per crawl', async () => {
    const asked: number[] = [];
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, ({ request }) => {
        const url = new URL(request.url);
        const start = Number(url.searchParams.get('start'));
        const size = Number(url.searchParams.get('max_results'));
        asked.push(start);
        // The first ask of every page is refused for a second.
        if (asked.filter((earlier) => earlier === start).length === 1) {
          return new HttpResponse('Service Unavailable', { status: 503, headers: { 'retry-after': '1' } });
        }
        const page = entries.slice(start, start + size).map((entry) => entry.xml);
        return new HttpResponse(atomFeed(page, { totalResults: entries.length, startIndex: start }), {
          headers: atomHeaders,
        });
      }),
    );
    const { runs } = await runIngest(appContext(env), {
      sources: ['arxiv'],
      at,
      tuning: { ...fast, arxivWindowDays: 30, arxivMaxBusyWaitMs: 2_000 },
    });
    expect(asked).toEqual([0, 0, 3, 3, 6]);
    expect(runs[0]).toMatchObject({ status: 'failed', inserted: 6 });
    expect(runs[0]!.errors).toEqual([
      expect.stringMatching(/^page at start=6: .*HTTP 503 \(retry after 1 s\)/),
    ]);
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

describe('categories the arXiv ingest crawls for subscribers', () => {
  it('follows the categories of sign-ups, preference changes and imports, not of those who left', async () => {
    await subscribeAndConfirm('signup@example.org', { interests: 'diffusion models, cs.RO' });
    expect(await storedCategories('signup@example.org')).toBe('["cs.RO"]');

    const changer = await subscribeAndConfirm('changer@example.org', { interests: 'math.OC' });
    const prefs = local(
      await preferencesUrl(config, { id: changer.id, tokenVersion: changer.token_version }),
    );
    expect((await postForm(prefs, { interests: 'q-bio.nc; author: Ada Lovelace' })).status).toBe(200);
    expect(await storedCategories('changer@example.org')).toBe('["q-bio.NC"]');

    const imported = await adminRequest('/admin/subscribers/import', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { email: 'imported@example.org', interests: 'astro-ph.CO and gr-qc' },
        { email: 'topics@example.org', interests: 'protein folding' },
      ]),
    });
    expect(imported.status).toBe(200);
    expect(await storedCategories('imported@example.org')).toBe('["astro-ph.CO","gr-qc"]');
    expect(await storedCategories('topics@example.org')).toBe('[]');

    const leaver = await subscribeAndConfirm('leaver@example.org', { interests: 'hep-th' });
    const unsubscribe = await unsubscribeUrl(config, { id: leaver.id, tokenVersion: leaver.token_version });
    await postForm(unsubscribe.replace(BASE_URL, ''), { 'List-Unsubscribe': 'One-Click' });
    expect((await rowOf('leaver@example.org'))!.status).toBe('unsubscribed');

    // Pending sign-ups do not count until they confirm.
    await postForm('/subscribe', { email: 'pending@example.org', interests: 'nucl-th' });
    expect(await storedCategories('pending@example.org')).toBe('["nucl-th"]');

    expect(await crawledCategories()).toEqual([
      ...config.ARXIV_CATEGORIES,
      'astro-ph.CO',
      'cs.RO',
      'gr-qc',
      'q-bio.NC',
    ]);
  });

  it('follows the new categories of an unsubscribed reader who signs up again', async () => {
    const row = await subscribeAndConfirm('comeback@example.org', { interests: 'hep-th' });
    const unsubscribe = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    await postForm(unsubscribe.replace(BASE_URL, ''), { 'List-Unsubscribe': 'One-Click' });
    // Past the per-address cap on sign-up emails.
    await ageMailRequests(24 * 60);
    await subscribeAndConfirm('comeback@example.org', { interests: 'hep-ex' });
    expect(await storedCategories('comeback@example.org')).toBe('["hep-ex"]');
    const crawled = await crawledCategories();
    expect(crawled).toContain('hep-ex');
    expect(crawled).not.toContain('hep-th');
  });

  it('still counts a subscriber stored before the categories column (categories NULL)', async () => {
    const now = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, interests, categories, created_at, updated_at)
       VALUES (?, 'legacy@example.org', 'active', 'quant-ph; GANs', NULL, ?, ?)`,
    )
      .bind(crypto.randomUUID(), now, now)
      .run();
    expect(await crawledCategories()).toEqual([...config.ARXIV_CATEGORIES, 'quant-ph']);
  });
});

describe('listFollowedCategories', () => {
  it('reads the followers, not every active subscriber, and returns only category strings', async () => {
    const followed = ['cs.RO', 'q-bio.NC', 'stat.ML', 'cs.RO', 'hep-th'];
    await insertSubscribers(env.DB, [
      ...Array.from({ length: 295 }, (_, index) => makeSubscriber({ interests: `topic number ${index}` })),
      ...followed.map((category, index) => makeSubscriber({ interests: `${category}, phrase ${index}` })),
      makeSubscriber({ status: 'unsubscribed', interests: 'nucl-ex' }),
    ]);
    const spy = spyD1(env.DB);
    const result = await listFollowedCategories(spy.db);
    expect(result.categories.sort()).toEqual(['cs.RO', 'hep-th', 'q-bio.NC', 'stat.ML']);
    expect(result.legacyInterests).toEqual([]);
    // Reading every active subscriber's interests read 300+ rows; the partial index holds the 5 followers.
    expect(spy.totals().rowsRead).toBeLessThan(30);
    expect(spy.totals().rowsReturned).toBe(4);
  });
});
