/**
 * Builds complete `Paper` values for ranking and digest tests from the few fields a test
 * cares about, and loads the real-text snapshot fixture (titles and abstracts of a real
 * daily listing) as papers with deterministic ids, upvotes and authors.
 */
import type { Paper } from '../../src/domain';
import snapshot from '../fixtures/ranking/snapshot-papers.json';

export function makePaper(fields: Partial<Paper> & { id: string; title: string }): Paper {
  return {
    version: 1,
    abstract: '',
    authors: [],
    categories: [],
    primaryCategory: null,
    links: {
      abs: `https://arxiv.org/abs/${fields.id}`,
      pdf: `https://arxiv.org/pdf/${fields.id}`,
      hf: `https://huggingface.co/papers/${fields.id}`,
      code: null,
      project: null,
    },
    githubStars: null,
    thumbnailUrl: null,
    upvotes: 0,
    numComments: 0,
    aiSummary: null,
    aiKeywords: [],
    comment: null,
    doi: null,
    journalRef: null,
    publishedAt: '2026-11-25T00:00:00.000Z',
    updatedAt: null,
    hfDate: '2026-11-26',
    sources: ['hf'],
    ingestedAt: '2026-11-26T06:00:00.000Z',
    refreshedAt: '2026-11-26T06:00:00.000Z',
    ...fields,
  };
}

/** The ~110 real papers of the shared snapshot, with made-up but stable ids and upvotes. */
export function snapshotPapers(): Paper[] {
  return (snapshot as { id: string; title: string; abstract: string }[]).map((item, position) =>
    makePaper({
      id: `2411.${String(10_000 + position).padStart(5, '0')}`,
      title: item.title,
      abstract: item.abstract,
      upvotes: (position * 37) % 50,
      numComments: position % 7,
      authors: [`Author ${position} Alpha`, `Author ${position} Beta`, 'Shared Coauthor'],
    }),
  );
}
