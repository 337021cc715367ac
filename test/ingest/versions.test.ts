/**
 * Merging by arXiv version: a newer version updates the text, an older one never brings
 * stale text back, Hugging Face's copy of the text only fills papers arXiv has not
 * described yet (while an older arXiv copy still fills what Hugging Face's newer one
 * lacks), and a withdrawal version takes the paper out of every later edition.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { insertEditionWithCandidates } from '../../src/db/editions';
import { getPapersByIds } from '../../src/db/papers';
import { EDITION_MAX_CANDIDATES } from '../../src/delivery/plan-step';
import { appContext } from '../../src/env';
import { runIngest } from '../../src/ingest';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { ARXIV_QUERY_URL, atomEntry, atomFeed, atomHeaders, HF_DAILY_URL, hfOldShape } from './fixtures';

const at = new Date('2025-03-11T01:30:00Z');

async function ingestArxiv(entry: Parameters<typeof atomEntry>[0]) {
  fakeHttp.use(
    http.get(ARXIV_QUERY_URL, () => new HttpResponse(atomFeed([atomEntry(entry)]), { headers: atomHeaders })),
  );
  return (await runIngest(appContext(env), { sources: ['arxiv'], at })).runs[0]!;
}

describe('arXiv versions', () => {
  const v1 = {
    id: '2503.04321',
    version: 1,
    title: 'Sparse Mixtures of\n  Experts',
    summary: 'Version one abstract.',
    published: '2025-03-10T09:00:00Z',
    comment: '9 pages',
  };

  it('stores v1, updates text on v2, and ignores a late v1', async () => {
    expect(await ingestArxiv(v1)).toMatchObject({ inserted: 1 });
    const first = (await getPapersByIds(env.DB, [v1.id]))[0]!;
    expect(first).toMatchObject({ version: 1, title: 'Sparse Mixtures of Experts', comment: '9 pages' });

    const v2 = {
      ...v1,
      version: 2,
      title: 'Sparse Mixtures of Experts at Scale',
      summary: 'Version two abstract, longer.',
      updated: '2025-03-10T20:00:00Z',
      comment: '12 pages; camera ready',
      doi: '10.1000/xyz123',
      authors: ['Ada Lovelace', 'Alan Turing'],
    };
    expect(await ingestArxiv(v2)).toMatchObject({ inserted: 0, updated: 1 });
    const second = (await getPapersByIds(env.DB, [v1.id]))[0]!;
    expect(second).toMatchObject({
      version: 2,
      title: 'Sparse Mixtures of Experts at Scale',
      abstract: 'Version two abstract, longer.',
      comment: '12 pages; camera ready',
      doi: '10.1000/xyz123',
      authors: ['Ada Lovelace', 'Alan Turing'],
      updatedAt: '2025-03-10T20:00:00.000Z',
      publishedAt: '2025-03-10T09:00:00.000Z',
    });
    expect(second.ingestedAt).toBe(first.ingestedAt);

    expect(await ingestArxiv(v1)).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await getPapersByIds(env.DB, [v1.id]))[0]!.title).toBe('Sparse Mixtures of Experts at Scale');
  });

  it('lets arXiv text replace Hugging Face text, but not the other way round', async () => {
    const list = hfOldShape().slice(0, 1);
    const id = list[0]!.paper.id as string;
    list[0]!.title = 'HF Title Variant';
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({
      title: 'HF Title Variant',
      version: null,
    });

    await ingestArxiv({ id, version: 1, title: 'The arXiv Title', published: '2025-03-10T09:00:00Z' });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({
      title: 'The arXiv Title',
      version: 1,
      sources: ['arxiv', 'hf'],
    });

    list[0]!.title = 'HF Title Changed Again';
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    expect((await getPapersByIds(env.DB, [id]))[0]!.title).toBe('The arXiv Title');
  });

  // Hugging Face listed v2 with no abstract and no authors before arXiv's crawl sent v1: the
  // older arXiv copy lost the merge outright, and the paper stayed without abstract or byline.
  it('fills what Hugging Face’s newer copy lacks from an older arXiv copy, keeping the rest', async () => {
    const list = hfOldShape().slice(0, 1);
    const id = '2503.04555';
    list[0]!.paper.id = `${id}v2`;
    list[0]!.title = 'Sparse Experts, Revisited';
    list[0]!.paper.title = list[0]!.title;
    list[0]!.summary = '';
    list[0]!.paper.summary = null;
    list[0]!.paper.authors = [];
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({ version: 2, abstract: '', authors: [] });

    const v1Entry = {
      id,
      version: 1,
      title: 'Sparse Experts',
      summary: 'The abstract only arXiv has.',
      authors: ['Ada Lovelace', 'Alan Turing'],
      published: '2025-03-10T09:00:00Z',
      doi: '10.1000/xyz456',
    };
    expect(await ingestArxiv(v1Entry)).toMatchObject({ updated: 1 });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({
      version: 2,
      title: 'Sparse Experts, Revisited',
      abstract: 'The abstract only arXiv has.',
      authors: ['Ada Lovelace', 'Alan Turing'],
      doi: '10.1000/xyz456',
      sources: ['arxiv', 'hf'],
    });

    // What the row has is not overwritten by the older copy.
    expect(
      await ingestArxiv({ ...v1Entry, summary: 'Another v1 abstract.', authors: ['Someone Else'] }),
    ).toMatchObject({ unchanged: 1 });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({
      abstract: 'The abstract only arXiv has.',
      authors: ['Ada Lovelace', 'Alan Turing'],
    });
  });

  // Hugging Face marked a paper it alone had brought (no arXiv version stored yet) withdrawn;
  // arXiv's next crawl listed the same v1 with no word of it, and the stored NULL version
  // counted as older, so the v1 cleared the mark and the paper was mailed as news again.
  it('keeps Hugging Face’s withdrawal of a paper when arXiv first lists it, until a newer version', async () => {
    const list = hfOldShape().slice(0, 1);
    const id = '2503.04777';
    list[0]!.paper.id = id;
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    list[0]!.paper.withdrawnAt = '2025-03-10T12:00:00.000Z';
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({ version: null, withdrawn: true });

    const entry = {
      id,
      version: 1,
      title: 'Leveraging Domain Adaptation',
      published: '2025-03-10T09:00:00Z',
    };
    expect(await ingestArxiv(entry)).toMatchObject({ updated: 1 });
    expect((await getPapersByIds(env.DB, [id]))[0]).toMatchObject({ version: 1, withdrawn: true });

    // From then on the version is known, and a newer one decides as for any paper.
    await ingestArxiv({ ...entry, version: 2, updated: '2025-03-12T08:00:00Z' });
    expect((await getPapersByIds(env.DB, [id]))[0]!.withdrawn).toBeUndefined();
  });

  // A withdrawn paper used to stay a candidate like any other and be mailed as news.
  it('never offers a paper once arXiv reports it withdrawn, whatever arrives after', async () => {
    const paper = { ...v1, id: '2503.04999', title: 'A Result We Later Retracted' };
    await ingestArxiv(paper);
    const { ingestedAt } = (await getPapersByIds(env.DB, [paper.id]))[0]!;
    const windowEnd = new Date(Date.parse(ingestedAt) + 3_600_000).toISOString();
    let editions = 0;
    const candidates = async () => {
      editions += 1;
      const edition = {
        id: `withdrawn-${editions}`,
        frequency: 'daily' as const,
        periodKey: `2025-03-1${editions}`,
        plannedAt: windowEnd,
        windowStart: ingestedAt,
        windowEnd,
      };
      await insertEditionWithCandidates(env.DB, edition, EDITION_MAX_CANDIDATES);
      const row = await env.DB.prepare('SELECT paper_ids FROM editions WHERE id = ?')
        .bind(edition.id)
        .first<{ paper_ids: string }>();
      return JSON.parse(row!.paper_ids) as string[];
    };
    expect(await candidates()).toContain(paper.id);

    const withdrawal = {
      ...paper,
      version: 2,
      updated: '2025-03-12T08:00:00Z',
      comment: 'This paper has been withdrawn by the author due to a crucial error in Lemma 2',
    };
    expect(await ingestArxiv(withdrawal)).toMatchObject({ inserted: 0, updated: 1, skipped: 0 });
    expect(await candidates()).not.toContain(paper.id);

    // Neither a late v1 nor Hugging Face listing it (with no word of the withdrawal) revives it.
    await ingestArxiv(paper);
    const list = hfOldShape().slice(0, 1);
    list[0]!.paper.id = paper.id;
    fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json(list)));
    await runIngest(appContext(env), { sources: ['hf'], at, date: '2023-06-15' });
    expect(await candidates()).not.toContain(paper.id);
    expect((await getPapersByIds(env.DB, [paper.id]))[0]).toMatchObject({
      version: 2,
      comment: withdrawal.comment,
    });
  });
});
