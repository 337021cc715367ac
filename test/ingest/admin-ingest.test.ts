/**
 * POST /admin/ingest end to end: the real Worker, real D1, and Hugging Face / arXiv faked
 * at the HTTP boundary with real-shaped payloads. Covers auth, request validation, a first
 * ingest, idempotent reruns, counter refreshes, a malformed item, and the merge of a paper
 * seen by both sources into one row. Tests in this file share one database, in order.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getPapersByIds } from '../../src/db/papers';
import type { IngestResult } from '../../src/ingest';
import { adminRequest, request } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ARXIV,
  ARXIV_QUERY_URL,
  atomHeaders,
  HF_DAILY_URL,
  type HfItem,
  hfNewShape,
  hfOldShape,
} from './fixtures';

type IngestResponse = IngestResult & { ok: boolean };

function ingest(body?: unknown): Promise<Response> {
  return adminRequest('/admin/ingest', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Serves `lists[date]` for `GET /api/daily_papers?date=...` (an empty list for other dates). */
function serveHf(lists: Record<string, HfItem[]>) {
  const requested: string[] = [];
  fakeHttp.use(
    http.get(HF_DAILY_URL, ({ request }) => {
      const url = new URL(request.url);
      const date = url.searchParams.get('date') ?? '';
      requested.push(`${date} p${url.searchParams.get('p')}`);
      return HttpResponse.json(url.searchParams.get('p') === '0' ? (lists[date] ?? []) : []);
    }),
  );
  return requested;
}

async function paperCount(): Promise<number> {
  const response = await adminRequest('/admin/stats');
  return (await response.json<{ papers: number }>()).papers;
}

describe('POST /admin/ingest: auth and validation', () => {
  it('requires the admin token', async () => {
    const response = await request('/admin/ingest', { method: 'POST' });
    expect(response.status).toBe(401);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('unauthorized');
  });

  it.each([
    ['not JSON', '{date: 2025-03-11', 'invalid_json'],
    ['an impossible date', JSON.stringify({ date: '2025-02-30' }), 'invalid_request'],
    ['a date in another format', JSON.stringify({ date: '11/03/2025' }), 'invalid_request'],
    ['a future date', JSON.stringify({ date: '2999-01-01' }), 'invalid_request'],
    ['an unknown source', JSON.stringify({ sources: ['hf', 'semantic-scholar'] }), 'invalid_request'],
    ['no source', JSON.stringify({ sources: [] }), 'invalid_request'],
    ['a misspelt field', JSON.stringify({ source: ['hf'] }), 'invalid_request'],
    ['a non-object body', JSON.stringify(['hf']), 'invalid_request'],
  ])('answers 400 JSON for %s', async (_case, body, code) => {
    const response = await adminRequest('/admin/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    const error = (await response.json<{ error: { code: string; message: string; fields?: object } }>())
      .error;
    expect(error.code).toBe(code);
    if (code === 'invalid_request') expect(error.fields).toBeDefined();
  });
});

describe('POST /admin/ingest: Hugging Face', () => {
  it('stores every paper of the daily list with clean fields and records the run', async () => {
    const list = hfNewShape();
    const requested = serveHf({ '2025-03-11': list });
    const response = await ingest({ date: '2025-03-11', sources: ['hf'] });
    expect(response.status).toBe(200);
    const body = await response.json<IngestResponse>();
    expect(body.ok).toBe(true);
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({
      source: 'hf',
      window: '2025-03-11',
      status: 'ok',
      fetched: 12,
      inserted: 12,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      errors: [],
    });
    expect(body.runs[0]!.id).toEqual(expect.any(Number));
    // A short page (12 < limit) may be the API's own page size: one more request, answered
    // empty, ends the list.
    expect(requested).toEqual(['2025-03-11 p0', '2025-03-11 p1']);
    expect(await paperCount()).toBe(12);

    const [stored] = await getPapersByIds(env.DB, [list[0]!.paper.id]);
    expect(stored).toMatchObject({
      title: 'An Efficient Multilingual Language Model Compression through Vocabulary Trimming',
      upvotes: list[0]!.paper.upvotes,
      numComments: list[0]!.numComments,
      aiSummary: list[0]!.paper.ai_summary,
      hfDate: '2025-03-11',
      sources: ['hf'],
      links: { hf: `https://huggingface.co/papers/${list[0]!.paper.id}`, code: list[0]!.paper.githubRepo },
    });
    expect(stored!.abstract).not.toContain('\n');

    const run = await env.DB.prepare('SELECT * FROM ingest_runs WHERE id = ?')
      .bind(body.runs[0]!.id)
      .first<{ status: string; inserted: number; fetched: number; window: string }>();
    expect(run).toMatchObject({ status: 'ok', inserted: 12, fetched: 12, window: '2025-03-11' });
  });

  it('changes nothing when the same payload is ingested again', async () => {
    const list = hfNewShape();
    const id = list[0]!.paper.id;
    const before = await env.DB.prepare('SELECT * FROM papers WHERE id = ?').bind(id).first();
    serveHf({ '2025-03-11': list });
    const body = await (await ingest({ date: '2025-03-11', sources: ['hf'] })).json<IngestResponse>();
    expect(body.runs[0]).toMatchObject({ status: 'ok', inserted: 0, updated: 0, unchanged: 12 });
    expect(await paperCount()).toBe(12);
    const after = await env.DB.prepare('SELECT * FROM papers WHERE id = ?').bind(id).first();
    expect({ ...after, refreshed_at: null }).toEqual({ ...before, refreshed_at: null });
  });

  it('refreshes upvotes and comments of known papers without making them new', async () => {
    const list = hfNewShape();
    const id = list[2]!.paper.id;
    const before = (await getPapersByIds(env.DB, [id]))[0]!;
    list[2]!.paper.upvotes = before.upvotes + 40;
    list[2]!.numComments = before.numComments + 2;
    serveHf({ '2025-03-11': list });
    const body = await (await ingest({ date: '2025-03-11', sources: ['hf'] })).json<IngestResponse>();
    expect(body.runs[0]).toMatchObject({ inserted: 0, updated: 1, unchanged: 11 });
    const after = (await getPapersByIds(env.DB, [id]))[0]!;
    expect(after.upvotes).toBe(before.upvotes + 40);
    expect(after.numComments).toBe(before.numComments + 2);
    expect(after.ingestedAt).toBe(before.ingestedAt);
  });

  it('keeps known counts when a re-ingested item leaves them out (absent is not zero)', async () => {
    const list = hfNewShape();
    const id = list[2]!.paper.id;
    const before = (await getPapersByIds(env.DB, [id]))[0]!;
    expect(before.upvotes).toBeGreaterThan(0);
    expect(before.numComments).toBeGreaterThan(0);
    // Archived lists and some responses carry no numComments (or no upvotes) at all.
    delete list[2]!.numComments;
    delete list[2]!.paper.upvotes;
    list[3]!.paper.upvotes += 5;
    delete list[3]!.numComments;
    const knownComments = (await getPapersByIds(env.DB, [list[3]!.paper.id]))[0]!.numComments;
    serveHf({ '2025-03-11': list });
    const body = await (await ingest({ date: '2025-03-11', sources: ['hf'] })).json<IngestResponse>();
    expect(body.runs[0]).toMatchObject({ inserted: 0, updated: 1, unchanged: 11 });
    const after = (await getPapersByIds(env.DB, [id, list[3]!.paper.id]))!;
    expect(after[0]).toMatchObject({ upvotes: before.upvotes, numComments: before.numComments });
    expect(after[1]).toMatchObject({ upvotes: list[3]!.paper.upvotes, numComments: knownComments });
  });

  it('loses only the malformed item of a payload', async () => {
    const list = hfOldShape();
    list[3]!.paper = { title: 'No id here', summary: 'x' };
    serveHf({ '2023-06-15': list });
    const response = await ingest({ date: '2023-06-15', sources: ['hf'] });
    expect(response.status).toBe(200);
    const run = (await response.json<IngestResponse>()).runs[0]!;
    expect(run).toMatchObject({ status: 'ok', fetched: 6, inserted: 5, skipped: 1 });
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/item 3: invalid item: paper\.id/);
    expect(await paperCount()).toBe(17);
  });
});

describe('POST /admin/ingest: arXiv after Hugging Face', () => {
  it('merges papers seen by both sources into one row and keeps each source’s fields', async () => {
    const hfList = hfNewShape();
    const shared = hfList[0]!.paper.id as string;
    const hfBefore = (await getPapersByIds(env.DB, [shared]))[0]!;
    const queries: URL[] = [];
    fakeHttp.use(
      http.get(ARXIV_QUERY_URL, ({ request }) => {
        queries.push(new URL(request.url));
        return new HttpResponse(ARXIV.cs, { headers: atomHeaders });
      }),
    );
    const response = await ingest({ date: '2025-03-10', sources: ['arxiv'] });
    expect(response.status).toBe(200);
    const run = (await response.json<IngestResponse>()).runs[0]!;
    // 8 entries: 4 papers already known from the HF list (now enriched), 4 new.
    expect(run).toMatchObject({
      source: 'arxiv',
      status: 'ok',
      fetched: 8,
      inserted: 4,
      updated: 4,
      skipped: 0,
    });
    expect(await paperCount()).toBe(21);

    expect(queries).toHaveLength(1);
    const query = queries[0]!.searchParams;
    expect(query.get('search_query')).toBe(
      '(cat:cs.CL OR cat:cs.LG OR cat:cs.AI OR cat:cs.CV) AND submittedDate:[202503100000 TO 202503102359]',
    );
    expect(query.get('sortBy')).toBe('submittedDate');
    expect(query.get('sortOrder')).toBe('descending');
    expect(query.get('start')).toBe('0');

    const merged = (await getPapersByIds(env.DB, [shared]))[0]!;
    expect(merged.sources).toEqual(['arxiv', 'hf']);
    expect(merged.categories).toEqual(['cs.CL', 'cs.AI']);
    expect(merged.primaryCategory).toBe('cs.CL');
    expect(merged.version).toBe(1);
    expect(merged.doi).toMatch(/^10\.18653\//);
    // HF-only fields survive the arXiv ingest; "new" still means first seen on HF.
    expect(merged.upvotes).toBe(hfBefore.upvotes);
    expect(merged.aiSummary).toBe(hfBefore.aiSummary);
    expect(merged.aiKeywords).toEqual(hfBefore.aiKeywords);
    expect(merged.links.hf).toBe(hfBefore.links.hf);
    expect(merged.links.code).toBe(hfBefore.links.code);
    expect(merged.hfDate).toBe('2025-03-11');
    expect(merged.ingestedAt).toBe(hfBefore.ingestedAt);

    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM papers WHERE id = ?')
      .bind(shared)
      .first<{ n: number }>();
    expect(count!.n).toBe(1);
  });

  it('keeps arXiv categories when Hugging Face re-ingests, and a rerun of both adds nothing', async () => {
    const hfList = hfNewShape();
    const shared = hfList[0]!.paper.id as string;
    serveHf({ '2025-03-11': hfList });
    const hfRun = (await (await ingest({ date: '2025-03-11', sources: ['hf'] })).json<IngestResponse>())
      .runs[0]!;
    expect(hfRun).toMatchObject({ inserted: 0 });
    const merged = (await getPapersByIds(env.DB, [shared]))[0]!;
    expect(merged.categories).toEqual(['cs.CL', 'cs.AI']);
    expect(merged.sources).toEqual(['arxiv', 'hf']);
    expect(merged.doi).toMatch(/^10\.18653\//);

    fakeHttp.use(http.get(ARXIV_QUERY_URL, () => new HttpResponse(ARXIV.cs, { headers: atomHeaders })));
    const arxivRun = (await (await ingest({ date: '2025-03-10', sources: ['arxiv'] })).json<IngestResponse>())
      .runs[0]!;
    expect(arxivRun).toMatchObject({ inserted: 0, updated: 0, unchanged: 8 });
    expect(await paperCount()).toBe(21);
  });
});
