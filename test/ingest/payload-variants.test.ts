/**
 * Real upstream payloads vary more than our fixtures: Hugging Face sends counts as digit
 * strings now and then, lists papers in the flat `PaperInfo` shape, and dates that are not
 * ISO 8601; arXiv has papers titled "Error". Each case is served through the fake HTTP
 * boundary and ingested by the real crawl into D1, so what is checked is what gets stored.
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
} from './fixtures';

const at = new Date('2025-03-11T01:30:00Z');

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare('DELETE FROM papers'), env.DB.prepare('DELETE FROM ingest_runs')]);
});

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
