/**
 * Real upstream payloads vary more than our fixtures: Hugging Face sends counts as digit
 * strings now and then, lists papers in the flat `PaperInfo` shape, and dates that are not
 * ISO 8601; arXiv has papers titled "Error"; the two sources may write the same text in
 * different Unicode forms and the same old-style id with or without its subject class.
 * Each case is served through the fake HTTP boundary and ingested by the real crawl into
 * D1, so what is checked is what gets stored.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { countPapers, getPapersByIds } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ARXIV,
  ARXIV_QUERY_URL,
  atomEntry,
  atomFeed,
  atomHeaders,
  currentAtomEntry,
  currentAtomFeed,
  type HfItem,
  hfDailyList,
  hfNewShape,
} from './fixtures';

const at = new Date('2025-03-11T01:30:00Z');

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('DELETE FROM papers'), env.DB.prepare('DELETE FROM ingest_runs')]);
});

/** One Hugging Face run for 2025-03-11 whose daily list is `items` (page 0; later pages empty). */
async function crawlHf(items: unknown[]) {
  fakeHttp.use(hfDailyList(items));
  return (await runIngest(appContext(env), { sources: ['hf'], at, date: '2025-03-11' })).runs[0]!;
}

async function crawlArxiv(xml: string) {
  fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse(xml, { headers: atomHeaders })));
  return (await runIngest(appContext(env), { sources: ['arxiv'], at, tuning: { arxivRequestIntervalMs: 5 } }))
    .runs[0]!;
}

describe('arXiv papers titled "Error"', () => {
  // A single-entry page whose paper was titled "Error" was read as the API's error feed: the
  // run failed with "arXiv API error: <the paper's abstract>" and the paper was never stored.
  it('stores a real paper titled "Error", in either response shape, and still fails on the error feed', async () => {
    const paper = {
      id: '2503.07777',
      version: 1,
      title: 'Error',
      summary: 'We bound the error of quantised attention kernels.',
      published: '2025-03-10T09:00:00Z',
    };
    for (const xml of [atomFeed([atomEntry(paper)]), currentAtomFeed([currentAtomEntry(paper)])]) {
      await env.DB.prepare('DELETE FROM papers').run();
      const run = await crawlArxiv(xml);
      expect(run).toMatchObject({ status: 'ok', inserted: 1, errors: [] });
      expect((await getPapersByIds(env.DB, [paper.id]))[0]).toMatchObject({
        title: 'Error',
        abstract: paper.summary,
      });
    }

    const failed = await crawlArxiv(ARXIV.error);
    expect(failed.status).toBe('failed');
    expect(failed.errors[0]).toContain('arXiv API error: incorrect id format for 1234.12345v1');
    expect(await countPapers(env.DB)).toBe(1);
  });
});

describe('Hugging Face counts', () => {
  // A count sent as "12" was read as unknown, so the paper was stored with 0 upvotes and
  // ranked as if nobody had voted for it.
  it('stores digit-string counts as numbers and never stores a non-numeric one', async () => {
    const items = hfNewShape().slice(0, 2);
    Object.assign(items[0]!.paper, { upvotes: '12', githubStars: '1534' });
    items[0]!.numComments = '3';
    Object.assign(items[1]!.paper, { upvotes: 'lots', githubStars: '12abc' });
    items[1]!.numComments = '-1';
    expect(await crawlHf(items)).toMatchObject({ status: 'ok', inserted: 2, skipped: 0 });
    const ids = items.map((item) => item.paper.id as string);
    const [counted, garbage] = await getPapersByIds(env.DB, ids);
    expect(counted).toMatchObject({ upvotes: 12, numComments: 3, githubStars: 1534 });
    expect(garbage).toMatchObject({ upvotes: 0, numComments: 0, githubStars: null });

    // A later list with garbage counts keeps what was known.
    items[0]!.paper.upvotes = '1.5e3';
    items[0]!.numComments = 'n/a';
    await crawlHf(items);
    expect((await getPapersByIds(env.DB, [ids[0]!]))[0]).toMatchObject({ upvotes: 12, numComments: 3 });
  });
});

describe('Hugging Face items in the flat PaperInfo shape', () => {
  // huggingface_hub's PaperInfo reads the paper's fields from the item itself when there is no
  // `paper` object; such items were skipped as "invalid item: paper: expected object".
  it('stores an item whose paper fields sit on the item, beside one in the nested shape', async () => {
    const [nested, source] = hfNewShape().slice(0, 2) as [HfItem, HfItem];
    const { paper, ...item } = source;
    const flat = {
      id: paper.id,
      title: paper.title,
      summary: paper.summary,
      authors: paper.authors,
      publishedAt: '2025-03-10T17:59:51.000Z',
      upvotes: 41,
      numComments: item.numComments,
      githubRepo: paper.githubRepo,
      ai_summary: paper.ai_summary,
      ai_keywords: paper.ai_keywords,
      discussionId: '67cfd1e0b2a5a3a4c1a2b3c4',
    };
    expect(await crawlHf([nested, flat])).toMatchObject({ status: 'ok', inserted: 2, skipped: 0 });
    const [stored] = await getPapersByIds(env.DB, [paper.id]);
    expect(stored).toMatchObject({
      title: paper.title.replace(/\s+/g, ' ').trim(),
      authors: paper.authors.map((author: { name: string }) => author.name),
      upvotes: 41,
      numComments: item.numComments,
      publishedAt: '2025-03-10T17:59:51.000Z',
      hfDate: '2025-03-11',
      aiKeywords: paper.ai_keywords,
      links: { hf: `https://huggingface.co/papers/${paper.id}` },
    });
    expect(stored!.abstract).toBe(paper.summary.replace(/\s+/g, ' ').trim());
  });
});

describe('Hugging Face dates', () => {
  // Date.parse read "March 10" as 2001-03-10 and 2025-02-30 as 2 March: made-up dates stored
  // as the paper's publication.
  it('stores only ISO 8601 dates', async () => {
    const items = hfNewShape().slice(0, 4);
    items[0]!.paper.publishedAt = 'March 10';
    items[1]!.paper.publishedAt = '2025-02-30T09:00:00.000Z';
    items[2]!.paper.publishedAt = '2025-03-10T09:00:00-05:00';
    items[3]!.paper.publishedAt = '2025-03-10';
    await crawlHf(items);
    const stored = await getPapersByIds(
      env.DB,
      items.map((item) => item.paper.id as string),
    );
    expect(stored.map((paper) => paper.publishedAt)).toEqual([
      null,
      null,
      '2025-03-10T14:00:00.000Z',
      '2025-03-10T00:00:00.000Z',
    ]);
  });

  // A withdrawnAt that was not a date was ignored, and the withdrawn paper mailed as news.
  it('reads any non-blank withdrawnAt as withdrawn, also for a copy stored before', async () => {
    const items = hfNewShape().slice(0, 3);
    await crawlHf(items);
    items[0]!.paper.withdrawnAt = 'unknown';
    items[1]!.paper.withdrawnAt = 'Tue, 11 Mar 2025 09:12:44 GMT';
    items[2]!.paper.withdrawnAt = '  ';
    const run = await crawlHf(items);
    expect(run).toMatchObject({ status: 'ok', updated: 2, skipped: 2 });
    expect(run.errors[0]).toContain('withdrawn (withdrawnAt: "unknown")');
    const stored = await getPapersByIds(
      env.DB,
      items.map((item) => item.paper.id as string),
    );
    expect(stored.map((paper) => paper.withdrawn ?? false)).toEqual([true, true, false]);
  });
});

describe('Unicode normalisation', () => {
  // Hugging Face sent "é" decomposed (e + U+0301) where arXiv sends it composed: the same
  // author was two people (twice in one byline) and the same title two strings.
  it('stores titles, abstracts and author names in NFC, so both sources agree', async () => {
    const title = 'Schrödinger Bridges for Café-Scale Diffusion';
    const summary = 'We revisit Schrödinger bridges à la Léonard.';
    const authors = ['José García', 'Zoë Ångström'];
    const [item] = hfNewShape().slice(0, 1) as [HfItem];
    const id = item.paper.id as string;
    item.title = title.normalize('NFD');
    item.paper.title = item.title;
    item.summary = summary.normalize('NFD');
    item.paper.summary = item.summary;
    item.paper.authors = [
      { _id: '1', name: authors[0]!.normalize('NFD'), hidden: false },
      { _id: '2', name: authors[0], hidden: false },
      { _id: '3', name: authors[1]!.normalize('NFD'), hidden: false },
    ];
    await crawlHf([item]);
    const fromHf = (await getPapersByIds(env.DB, [id]))[0]!;
    expect(fromHf).toMatchObject({ title, abstract: summary, authors });

    await crawlArxiv(
      atomFeed([atomEntry({ id, title, summary, authors, published: '2025-03-10T09:00:00Z' })]),
    );
    const merged = (await getPapersByIds(env.DB, [id]))[0]!;
    expect(merged.sources).toEqual(['arxiv', 'hf']);
    expect([merged.title, merged.abstract, merged.authors]).toEqual([
      fromHf.title,
      fromHf.abstract,
      fromHf.authors,
    ]);
  });
});

describe('old-style arXiv ids', () => {
  // Hugging Face (or a typed id) may keep the subject class, "math.GT/0309136"; arXiv's API
  // names the same paper math/0309136. Both forms used to become two papers, mailed twice.
  it('stores the paper once whichever form of its old-style id a source uses', async () => {
    const [item] = hfNewShape().slice(0, 1) as [HfItem];
    item.paper.id = 'math.GT/0309136v2';
    expect(await crawlHf([item])).toMatchObject({ inserted: 1 });
    const run = await crawlArxiv(
      atomFeed([
        atomEntry({
          id: 'math/0309136',
          version: 2,
          title: 'Knot Floer homology and the four-ball genus',
          published: '2025-03-10T09:00:00Z',
          categories: ['math.GT'],
        }),
      ]),
    );
    expect(run).toMatchObject({ inserted: 0, updated: 1 });
    expect(await countPapers(env.DB)).toBe(1);
    expect((await getPapersByIds(env.DB, ['math/0309136']))[0]).toMatchObject({
      sources: ['arxiv', 'hf'],
      links: { abs: 'https://arxiv.org/abs/math/0309136' },
    });
  });
});

describe('base URLs with a path', () => {
  // HF_API_URL and ARXIV_API_URL are base URLs (a mirror or proxy may serve the APIs under a
  // path, as RESEND_API_URL may): the ingest joined '/api/…' onto them as an absolute path,
  // so a base of https://mirror.example/hf asked https://mirror.example/api/daily_papers.
  it('asks for the APIs under the configured base path', async () => {
    const asked: string[] = [];
    fakeHttp.use(
      http.get('https://mirror.example/hf/api/daily_papers', ({ request }) => {
        asked.push(new URL(request.url).pathname);
        return HttpResponse.json(new URL(request.url).searchParams.get('p') === '0' ? hfNewShape() : []);
      }),
      http.get('https://mirror.example/arxiv/api/query', ({ request }) => {
        asked.push(new URL(request.url).pathname);
        return new HttpResponse(ARXIV.cs, { headers: atomHeaders });
      }),
    );
    const app = appContext({
      ...env,
      HF_API_URL: 'https://mirror.example/hf/',
      ARXIV_API_URL: 'https://mirror.example/arxiv',
    });
    const { runs } = await runIngest(app, {
      sources: ['hf', 'arxiv'],
      at,
      date: '2025-03-10',
      tuning: { arxivRequestIntervalMs: 5 },
    });
    expect(runs.map((run) => [run.source, run.status])).toEqual([
      ['hf', 'ok'],
      ['arxiv', 'ok'],
    ]);
    expect(asked).toContain('/hf/api/daily_papers');
    expect(asked).toContain('/arxiv/api/query');
    expect(await countPapers(env.DB)).toBeGreaterThan(12);
  });
});
