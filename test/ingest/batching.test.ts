/**
 * Volume: 500 papers in one payload are stored with statements far below D1's 100 bound
 * parameters each, counted exactly, and a rerun of the same 500 adds nothing. Size: a page
 * of big-collaboration physics papers (3,000 authors each) is stored in statements of at
 * most 1 MB each, and a single garbage paper too large for any statement costs only itself.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { countPapers, getPapersByIds, PAPERS_PER_UPSERT } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { adminRequest } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ARXIV_QUERY_URL,
  atomHeaders,
  currentAtomEntry,
  currentAtomFeed,
  HF_DAILY_URL,
  type HfItem,
  hfDailyList,
  hfNewShape,
} from './fixtures';

/** What one statement may carry to D1 (its string and row limits; SQLITE_TOOBIG beyond). */
const ONE_MB = 1_000_000;

function bigList(size: number): HfItem[] {
  const template = hfNewShape();
  return Array.from({ length: size }, (_, index) => {
    const item = structuredClone(template[index % template.length]!);
    item.paper.id = `2503.${String(20000 + index)}`;
    item.title = `${item.title} (${index})`;
    item.paper.upvotes = index;
    return item;
  });
}

describe('batching', () => {
  it('stores 500 papers from one payload and reruns idempotently', async () => {
    expect(PAPERS_PER_UPSERT).toBeLessThan(500);
    const list = bigList(500);
    const pages: string[] = [];
    fakeHttp.use(
      http.get(HF_DAILY_URL, ({ request }) => {
        const p = new URL(request.url).searchParams.get('p') ?? '0';
        pages.push(p);
        return HttpResponse.json(p === '0' ? list : []);
      }),
    );
    const ingest = () =>
      adminRequest('/admin/ingest', {
        method: 'POST',
        body: JSON.stringify({ date: '2025-03-11', sources: ['hf'] }),
      });

    const first = await (await ingest()).json<{
      runs: { inserted: number; updated: number; fetched: number }[];
    }>();
    expect(first.runs[0]).toMatchObject({ fetched: 500, inserted: 500, updated: 0 });
    expect(await countPapers(env.DB)).toBe(500);
    // A full page (500 ≥ limit) asks for the next one, which is empty.
    expect(pages).toEqual(['0', '1']);

    const sample = await env.DB.prepare('SELECT upvotes, title FROM papers WHERE id = ?')
      .bind('2503.20499')
      .first<{ upvotes: number; title: string }>();
    expect(sample).toEqual({ upvotes: 499, title: `${list[499]!.title}` });

    const second = await (await ingest()).json<{
      runs: { inserted: number; updated: number; unchanged: number }[];
    }>();
    expect(second.runs[0]).toMatchObject({ inserted: 0, updated: 0, unchanged: 500 });
    expect(await countPapers(env.DB)).toBe(500);
  });

  // 50 papers a statement was ~3 MB for ATLAS/CMS-sized author lists: D1 answered
  // SQLITE_TOOBIG and the whole arXiv page was lost, every cron again.
  it('stores a page of 3,000-author papers in statements of at most 1 MB', async () => {
    const collaboration = Array.from(
      { length: 3000 },
      (_, index) => `${['G.', 'M.', 'J.-F.', 'Ö.'][index % 4]} Aad-Müller${index}`,
    );
    const ids = Array.from({ length: 30 }, (_, index) => `2503.${String(30000 + index)}`);
    const xml = currentAtomFeed(
      ids.map((id, index) =>
        currentAtomEntry({
          id,
          title: `Measurement of the W boson mass with the ATLAS detector, part ${index}`,
          summary: 'A measurement of the W boson mass with 140 fb^-1 of proton-proton collisions.',
          published: '2025-03-10T18:00:00Z',
          authors: collaboration,
          categories: ['hep-ex'],
        }),
      ),
    );
    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse(xml, { headers: atomHeaders })));
    const spy = spyD1(env.DB);
    const { runs } = await runIngest(
      { ...appContext(env), db: spy.db },
      { sources: ['arxiv'], at: new Date('2025-03-11T01:30:00Z'), tuning: { arxivRequestIntervalMs: 5 } },
    );
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 30, skipped: 0 });
    const upserts = spy.calls.filter((call) => call.sql.includes('INSERT INTO papers'));
    const sizes = upserts.map((call) => new TextEncoder().encode(String(call.params[0])).length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(2 * ONE_MB);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(ONE_MB);
    const stored = await getPapersByIds(env.DB, ids);
    expect(stored).toHaveLength(30);
    expect(stored.every((paper) => paper.authors.length === 3000)).toBe(true);
    expect(stored[0]!.authors[3]).toBe('Ö. Aad-Müller3');
  });

  it('skips, and says why, a single paper too large for any statement, storing the rest', async () => {
    const list = hfNewShape().slice(0, 3);
    // ~1.2 MB of abstract: no paper has one; a broken upstream might.
    list[1]!.paper.summary = 'lorem ipsum '.repeat(100_000);
    list[1]!.summary = list[1]!.paper.summary;
    fakeHttp.use(hfDailyList(list));
    const { runs } = await runIngest(appContext(env), {
      sources: ['hf'],
      at: new Date('2025-03-11T01:30:00Z'),
      date: '2025-03-11',
    });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 2, skipped: 1 });
    expect(runs[0]!.errors[0]).toMatch(new RegExp(`paper ${list[1]!.paper.id} is too large to store`));
    const stored = await getPapersByIds(
      env.DB,
      list.map((item) => item.paper.id as string),
    );
    expect(stored.map((paper) => paper.id)).toEqual([list[0]!.paper.id, list[2]!.paper.id]);
  });
});
