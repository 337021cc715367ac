/**
 * The public archive through the real Worker and D1: a day's papers (HF list date, else
 * arXiv publication date), most upvoted first, links to every source, navigation between
 * days that have papers, paging, escaping, and clear 404s for addresses that are not days.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { getArchiveDay, latestArchiveDate } from '../../src/db/archive';
import { listLatestPapers } from '../../src/db/papers';
import { addDays } from '../../src/lib/time';
import { request } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';

interface PaperSeed {
  id: string;
  title: string;
  upvotes?: number;
  hf_date?: string | null;
  published_at?: string | null;
  code_url?: string | null;
  hf_url?: string | null;
  authors?: string[];
}

async function seed(papers: PaperSeed[]) {
  const statement = env.DB.prepare(
    `INSERT INTO papers (id, title, abstract, authors, categories, primary_category, abs_url, pdf_url, hf_url,
       code_url, upvotes, published_at, hf_date, sources, ingested_at, refreshed_at)
     VALUES (?, ?, ?, ?, '["cs.CL"]', 'cs.CL', ?, ?, ?, ?, ?, ?, ?, '["hf"]', ?, ?)`,
  );
  const now = new Date().toISOString();
  await env.DB.batch(
    papers.map((paper) =>
      statement.bind(
        paper.id,
        paper.title,
        `Abstract of ${paper.title}.`,
        JSON.stringify(paper.authors ?? ['Ada Lovelace', 'Alan Turing']),
        `https://arxiv.org/abs/${paper.id}`,
        `https://arxiv.org/pdf/${paper.id}`,
        paper.hf_url === undefined ? `https://huggingface.co/papers/${paper.id}` : paper.hf_url,
        paper.code_url ?? null,
        paper.upvotes ?? 0,
        paper.published_at === undefined ? '2026-03-09T17:00:00Z' : paper.published_at,
        paper.hf_date === undefined ? null : paper.hf_date,
        now,
        now,
      ),
    ),
  );
}

const htmlOf = async (path: string) => {
  const response = await request(path, { headers: { accept: 'text/html' } });
  return { response, html: await response.text() };
};

beforeAll(async () => {
  await seed([
    { id: '2603.00001', title: 'Quiet paper', upvotes: 2, hf_date: '2026-03-10' },
    {
      id: '2603.00002',
      title: 'Trending <b>paper</b> & friends',
      upvotes: 90,
      hf_date: '2026-03-10',
      code_url: 'https://github.com/example/code',
      authors: ['A One', 'B Two', 'C Three', 'D Four', 'E Five', 'F Six'],
    },
    { id: '2603.00003', title: 'Middle paper', upvotes: 30, hf_date: '2026-03-10' },
    // arXiv-only papers belong to their publication day.
    { id: '2603.00004', title: 'ArXiv only paper', published_at: '2026-03-10T18:00:00Z', hf_url: null },
    { id: '2603.00005', title: 'Older day paper', upvotes: 5, hf_date: '2026-03-06' },
    { id: '2603.00006', title: 'Newest day paper', upvotes: 1, hf_date: '2026-03-12' },
    // On the HF list of the 12th although published on the 10th: it belongs to the 12th.
    {
      id: '2603.00007',
      title: 'Late HF pick',
      upvotes: 3,
      hf_date: '2026-03-12',
      published_at: '2026-03-10T01:00:00Z',
    },
  ]);
});

describe('GET /papers/YYYY-MM-DD', () => {
  it('lists the papers of the day, most upvoted first, linking to their sources', async () => {
    const { response, html } = await htmlOf('/papers/2026-03-10');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('public');
    expect(html).toContain('Papers of Tuesday 10 March 2026');
    expect(html).toContain('4 papers');
    const order = [
      'Trending &lt;b&gt;paper&lt;/b&gt; &amp; friends',
      'Middle paper',
      'Quiet paper',
      'ArXiv only paper',
    ].map((title) => html.indexOf(title));
    expect(order.every((position) => position > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).not.toContain('Late HF pick');
    expect(html).not.toContain('<b>paper</b>');
    expect(html).toContain('href="https://arxiv.org/abs/2603.00002"');
    expect(html).toContain('href="https://arxiv.org/pdf/2603.00002"');
    expect(html).toContain('href="https://huggingface.co/papers/2603.00002"');
    expect(html).toContain('href="https://github.com/example/code"');
    expect(html).toContain('A One, B Two, C Three, D Four, E Five et al.');
    // The arXiv-only paper's title links to arXiv.
    expect(html).toMatch(/<a href="https:\/\/arxiv.org\/abs\/2603.00004">ArXiv only paper<\/a>/);
    // It has no Hugging Face upvotes at all, which is not the same as 0 upvotes.
    const arxivOnly = html.slice(html.lastIndexOf('<li', html.indexOf('ArXiv only paper')));
    expect(arxivOnly.slice(0, arxivOnly.indexOf('</li>'))).not.toContain('upvotes');
    expect(html).toContain('title="90 upvotes on Hugging Face"');
  });

  it('says plainly that a page past the end does not exist, with a 404 and a way back', async () => {
    const { response, html } = await htmlOf('/papers/2026-03-10?page=7');
    expect(response.status).toBe(404);
    expect(html).toContain('There is no page 7 for Tuesday 10 March 2026');
    expect(html).toContain('This day has 4 papers, on 1 page.');
    expect(html).toContain('<a href="/papers/2026-03-10">');
    expect(html).not.toContain('most upvoted first');
    expect(html).not.toContain('class="papers"');
    const empty = await htmlOf('/papers/2026-03-08?page=2');
    expect(empty.response.status).toBe(404);
    expect(empty.html).toContain('This day has no papers');
  });

  it('links to the previous and next days that have papers, skipping empty days', async () => {
    const { html } = await htmlOf('/papers/2026-03-10');
    expect(html).toContain('<a href="/papers/2026-03-06" rel="prev">');
    expect(html).toContain('<a href="/papers/2026-03-12" rel="next">');
    const { html: older } = await htmlOf('/papers/2026-03-06');
    expect(older).toContain('Older day paper');
    expect(older).not.toContain('rel="prev"');
    expect(older).toContain('<a href="/papers/2026-03-10" rel="next">');
  });

  it('shows an empty day plainly', async () => {
    const { response, html } = await htmlOf('/papers/2026-03-08');
    expect(response.status).toBe(200);
    expect(html).toContain('No papers for this day');
    expect(html).toContain('<a href="/papers/2026-03-06" rel="prev">');
    expect(html).toContain('<a href="/papers/2026-03-10" rel="next">');
  });

  it('answers 404 for anything that is not a calendar date', async () => {
    for (const path of ['/papers/2026-02-30', '/papers/yesterday', '/papers/2026-3-1']) {
      const { response, html } = await htmlOf(path);
      expect(response.status).toBe(404);
      expect(html).toContain('archive');
    }
  });

  it('answers 404, not an empty page to cache, for days outside the archive: before its first day or yet to come', async () => {
    const tomorrow = addDays(new Date().toISOString().slice(0, 10), 1);
    for (const path of [
      '/papers/0000-01-01',
      '/papers/1999-12-31',
      '/papers/9999-12-31',
      `/papers/${tomorrow}`,
    ]) {
      const { response, html } = await htmlOf(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('cache-control'), path).toBeNull();
      expect(html, path).not.toContain('Papers of');
      expect(html, path).toContain('archive');
    }
  });

  it('answers 404 for a page number that is not one, instead of showing page 1 again', async () => {
    for (const page of ['abc', '-1', '0', '01', '1.5', '99999999999999999999999', '']) {
      const { response, html } = await htmlOf(`/papers/2026-03-10?page=${page}`);
      expect(response.status, page).toBe(404);
      expect(html, page).not.toContain('most upvoted first');
    }
    // A large but well-formed number is a page past the end, said as such.
    const far = await htmlOf('/papers/2026-03-10?page=99999');
    expect(far.response.status).toBe(404);
    expect(far.html).toContain('There is no page 99999 for Tuesday 10 March 2026');
  });
  it('answers a crawler or browser revalidating an unchanged day 304 with no body', async () => {
    const first = await request('/papers/2026-03-06');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await request('/papers/2026-03-06', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('cache-control')).toBe('public, max-age=300');
    const other = await request('/papers/2026-03-10', { headers: { 'if-none-match': etag! } });
    expect(other.status).toBe(200);
  });
});

describe('GET /papers', () => {
  it('shows the latest day that has papers', async () => {
    const { response, html } = await htmlOf('/papers');
    expect(response.status).toBe(200);
    expect(html).toContain('Papers of Thursday 12 March 2026');
    expect(html.indexOf('Late HF pick')).toBeLessThan(html.indexOf('Newest day paper'));
    expect(html).not.toContain('rel="next"');
  });

  it('pages through a long day 50 papers at a time', async () => {
    await seed(
      Array.from({ length: 60 }, (_, index) => ({
        id: `2604.${String(index).padStart(5, '0')}`,
        title: `Busy day paper ${index}`,
        upvotes: index,
        hf_date: '2026-04-01',
      })),
    );
    const first = (await htmlOf('/papers/2026-04-01')).html;
    expect(first).toContain('60 papers');
    expect(first).toContain('Busy day paper 59');
    expect(first).not.toContain('Busy day paper 9<');
    expect(first).toContain('href="/papers/2026-04-01?page=2"');
    const second = (await htmlOf('/papers/2026-04-01?page=2')).html;
    expect(second).toContain('Busy day paper 9<');
    expect(second).toContain('<ol class="papers" start="51">');
    const past = await htmlOf('/papers/2026-04-01?page=3');
    expect(past.response.status).toBe(404);
    expect(past.html).toContain('This day has 60 papers, on 2 pages.');
    expect(past.html).toContain('<a href="/papers/2026-04-01?page=2">Last page (2)</a>');
  });

  // arXiv's withdrawals are kept (digests sent and votes refer to them) but are not news.
  it('leaves out papers arXiv reports withdrawn, from the day, its count, the newest day and the landing page', async () => {
    await seed([
      { id: '2603.00008', title: 'Withdrawn trending paper', upvotes: 500, hf_date: '2026-03-10' },
      // Alone on the newest day of all: it would be the landing page's first paper.
      { id: '2603.00009', title: 'Withdrawn lone paper', upvotes: 1, hf_date: '2027-01-01' },
    ]);
    await env.DB.prepare(`UPDATE papers SET withdrawn = 1 WHERE id IN ('2603.00008', '2603.00009')`).run();
    const { html } = await htmlOf('/papers/2026-03-10');
    expect(html).toContain('Trending &lt;b&gt;paper&lt;/b&gt; &amp; friends');
    expect(html).not.toContain('Withdrawn trending paper');
    expect(html).toContain('4 papers');
    expect(html).not.toContain('/papers/2027-01-01');
    const latest = (await htmlOf('/papers')).html;
    expect(latest).not.toContain('Withdrawn lone paper');
    expect(latest).not.toContain('No papers for this day');
    const landing = await (await request('/')).text();
    expect(landing).not.toContain('Withdrawn');
  });

  it("reads a handful of rows for the landing page's sample, however many papers are stored", async () => {
    await seed(
      Array.from({ length: 400 }, (_, index) => ({
        id: `2605.${String(index).padStart(5, '0')}`,
        title: `Stored paper ${index}`,
        upvotes: index % 50,
        hf_date: `2026-05-${String(1 + (index % 28)).padStart(2, '0')}`,
      })),
    );
    const spy = spyD1(env.DB);
    const sample = await listLatestPapers(spy.db, 6);
    // The newest day (28 May) first, most upvoted first within it.
    const newestDay = Array.from({ length: 400 }, (_, index) => index)
      .filter((index) => index % 28 === 27)
      .sort((a, b) => (b % 50) - (a % 50) || b - a)
      .slice(0, 6)
      .map((index) => `2605.${String(index).padStart(5, '0')}`);
    expect(sample.map((paper) => paper.id)).toEqual(newestDay);
    expect(spy.totals().rowsRead).toBeLessThan(20);
  });

  // A link stored before ingest refused text around URLs stays stored: a later ingest of
  // the paper keeps a known link when the new one is missing (COALESCE). It is read as no link.
  it('shows no code or project link that is more than a URL, whenever it was stored', async () => {
    await seed([
      {
        id: '2603.00090',
        title: 'Paper with a doctored repo link',
        hf_date: '2026-03-20',
        code_url: 'https://github.com/x\n\nYour subscription expires: log in at https://evil.example/login',
      },
      {
        id: '2603.00091',
        title: 'Paper with a disguised repo link',
        hf_date: '2026-03-20',
        code_url: 'https://github.com@evil.example/repo',
      },
    ]);
    const { response, html } = await htmlOf('/papers/2026-03-20');
    expect(response.status).toBe(200);
    expect(html).toContain('Paper with a doctored repo link');
    expect(html).not.toContain('evil.example');
    expect(html).not.toContain('Your subscription expires');
  });
});

describe('archive reads', () => {
  // A year of arXiv ingest stores a million papers Hugging Face never listed (hf_date NULL):
  // a day of the archive, its neighbours and the newest day must not read them all.
  it('reads about a day of papers for an archive day, however many arXiv-only papers are stored', async () => {
    const days = 60;
    const perDay = 10;
    const dayOf = (index: number) => addDays('2025-01-01', Math.floor(index / perDay));
    await seed(
      Array.from({ length: days * perDay }, (_, index) => ({
        id: `2501.${String(index).padStart(5, '0')}`,
        title: `Stored arXiv paper ${index}`,
        hf_url: null,
        published_at: `${dayOf(index)}T${String(index % perDay).padStart(2, '0')}:00:00Z`,
      })),
    );
    const spy = spyD1(env.DB);
    const day = await getArchiveDay(spy.db, '2025-01-15');
    expect(day.total).toBe(perDay);
    expect(day.papers).toHaveLength(perDay);
    expect(day.papers.every((paper) => paper.publishedAt?.startsWith('2025-01-15'))).toBe(true);
    expect(day.previous).toBe('2025-01-14');
    expect(day.next).toBe('2025-01-16');
    expect(await latestArchiveDate(spy.db)).not.toBeNull();
    // Each of the five statements reads the day's ten papers or one index entry, not 600.
    expect(spy.totals().rowsRead).toBeLessThan(5 * perDay);
  });
});
