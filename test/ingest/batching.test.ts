/**
 * Volume: 500 papers in one payload are stored with statements far below D1's 100 bound
 * parameters each, counted exactly, and a rerun of the same 500 adds nothing.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { countPapers, PAPERS_PER_UPSERT } from '../../src/db/papers';
import { adminRequest } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { HF_DAILY_URL, type HfItem, hfNewShape } from './fixtures';

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
});
