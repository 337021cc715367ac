/// <reference types="vite/client" />
/**
 * Paging through one Hugging Face Daily Papers list. We ask for `limit=100`, but nothing
 * says the API honours it: it may cap a page lower (and count `p` in either size), or
 * ignore `p`. A long day, made of real Daily Papers items (data/hf-daily-papers-2026) with
 * the list's own date, must be stored whole whatever page size comes back, and the crawl
 * must end on an empty page or a page it has seen before, never loop.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { countPapers } from '../../src/db/papers';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { HF_DAILY_URL, type HfItem } from './fixtures';

const files = import.meta.glob<HfItem[]>('../../data/hf-daily-papers-2026/*.json', {
  eager: true,
  import: 'default',
});
/** 120 real items, as one (busy) day's list. */
const day = '2026-05-07';
const list: HfItem[] = Object.values(files).flat().slice(0, 120);

const at = new Date(`${day}T21:20:00Z`);

/**
 * The endpoint with a page cap: `offset(p, limit)` says where page `p` starts, as the API
 * might count it (in pages of the size it serves, or of the size asked for).
 */
function serveCapped(cap: number, offset: (p: number, limit: number) => number) {
  const requested: string[] = [];
  fakeHttp.use(
    http.get(HF_DAILY_URL, ({ request }) => {
      const { searchParams } = new URL(request.url);
      const [p, limit] = ['p', 'limit'].map((name) => Number(searchParams.get(name))) as [number, number];
      requested.push(`p=${p} limit=${limit}`);
      const start = offset(p, limit);
      return HttpResponse.json(list.slice(start, start + Math.min(limit, cap)));
    }),
  );
  return requested;
}

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('DELETE FROM papers'), env.DB.prepare('DELETE FROM ingest_runs')]);
});

describe('Hugging Face paging', () => {
  it('stores a whole list served 50 to a page, counted in pages of 50', async () => {
    expect(new Set(list.map((item) => item.paper.id)).size).toBe(120);
    const requested = serveCapped(50, (p, limit) => p * Math.min(limit, 50));
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: day });
    expect(runs[0]).toMatchObject({ status: 'ok', fetched: 120, inserted: 120, errors: [] });
    expect(await countPapers(env.DB)).toBe(120);
    expect(requested).toEqual(['p=0 limit=100', 'p=1 limit=50', 'p=2 limit=50', 'p=3 limit=50']);
  });

  it('stores a whole list served 50 to a page, counted in pages of the limit asked for', async () => {
    serveCapped(50, (p, limit) => p * limit);
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: day });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 120, errors: [] });
    expect(await countPapers(env.DB)).toBe(120);
  });

  it('asks once more after a short first page, and stops at the empty one', async () => {
    const requested = serveCapped(100, (p, limit) => p * limit);
    const short = list.splice(30);
    try {
      const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: day });
      expect(runs[0]).toMatchObject({ status: 'ok', inserted: 30, errors: [] });
      expect(requested).toEqual(['p=0 limit=100', 'p=1 limit=30']);
    } finally {
      list.push(...short);
    }
  });

  it('stops at a page it has seen before when the API ignores `p`', async () => {
    const requested = serveCapped(50, () => 0);
    const { runs } = await runIngest(appContext(env), { sources: ['hf'], at, date: day });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 50 });
    expect(requested).toEqual(['p=0 limit=100', 'p=1 limit=50']);
  });

  it('says so when the page cap stops it on a page that still brought new papers', async () => {
    serveCapped(20, (p, limit) => p * Math.min(limit, 20));
    const { runs } = await runIngest(appContext(env), {
      sources: ['hf'],
      at,
      date: day,
      tuning: { hfMaxPagesPerDay: 3 },
    });
    expect(runs[0]).toMatchObject({ status: 'ok', inserted: 60 });
    expect(runs[0]!.errors).toEqual([
      expect.stringMatching(/^2026-05-07: stopped at the page cap \(3 pages of 20\)/),
    ]);
  });
});
