/**
 * parseArxivFeed against real arXiv export API responses (copied unmodified into
 * test/fixtures/arxiv) and the API's error and empty feeds.
 */
import { describe, expect, it } from 'vitest';
import { parseArxivFeed } from '../../src/ingest/arxiv';
import { isWithdrawal, parseArxivId, UpstreamFormatError } from '../../src/ingest/normalise';
import { ARXIV, atomEntry, atomFeed, currentAtomEntry, currentAtomFeed } from './fixtures';

describe('parseArxivFeed', () => {
  it('parses a real multi-entry response', () => {
    const { papers, skipped, totalResults } = parseArxivFeed(ARXIV.sample);
    expect(skipped).toEqual([]);
    expect(totalResults).toBe(31);
    expect(papers).toHaveLength(10);
    expect(papers.map((paper) => paper.id)).toContain('cond-mat/0412498');

    const luttinger = papers.find((paper) => paper.id === '1201.4869')!;
    expect(luttinger).toMatchObject({
      version: 1,
      title: 'A Luttinger Liquid Core Inside Helium-4 Filled Nanopores',
      authors: ['Adrian Del Maestro'],
      categories: ['cond-mat.mes-hall', 'cond-mat.other'],
      primaryCategory: 'cond-mat.mes-hall',
      doi: '10.1142/S021797921244002X',
      comment: '26 pages, 10 figures',
      journalRef: 'Int. J. Mod. Phys. B, 26, 1244002 (2012)',
      publishedAt: '2012-01-23T21:15:02.000Z',
      updatedAt: '2012-01-23T21:15:02.000Z',
      links: {
        abs: 'https://arxiv.org/abs/1201.4869',
        pdf: 'https://arxiv.org/pdf/1201.4869',
        hf: null,
        code: null,
        project: null,
      },
      sources: ['arxiv'],
      upvotes: null,
      numComments: null,
      hfDate: null,
    });
    expect(luttinger.abstract).toMatch(
      /^As helium-4 is cooled below 2\.17 K it undergoes a phase transition to a fundamentally/,
    );
    expect(luttinger.abstract).not.toMatch(/\n|\s{2}/);

    const revised = papers.find((paper) => paper.id === '1303.6954')!;
    expect(revised.version).toBe(2);
  });

  it('handles a response with a single entry (not an array in the XML)', () => {
    const { papers, totalResults } = parseArxivFeed(ARXIV.single);
    expect(totalResults).toBe(1);
    expect(papers).toHaveLength(1);
    expect(papers[0]).toMatchObject({
      id: 'cond-mat/0603029',
      version: 1,
      // The title is hard-wrapped in the XML ("presence\n  of quenched").
      title: 'From stripe to checkerboard order on the square lattice in the presence of quenched disorder',
      authors: ['Adrian Del Maestro', 'Bernd Rosenow', 'Subir Sachdev'],
      categories: ['cond-mat.str-el', 'cond-mat.supr-con'],
    });
  });

  // Since arXiv's November 2025 backend the pdf link is a bare <link href=".../pdf/..."/>,
  // without title="pdf": every arXiv-only paper was stored without its PDF link.
  it('reads the response shape the API has sent since its November 2025 backend', () => {
    const metadata = {
      authors: ['Hong-Ming Yin', 'Jun Zou'],
      categories: ['cs.CL', 'cs.AI'],
      comment: '34 pages',
      journalRef: 'Phys. Rev. D 103, 096005 (2021)',
      doi: '10.1103/PhysRevD.103.096005',
    };
    const xml = currentAtomFeed(
      [
        currentAtomEntry({
          ...metadata,
          id: '2511.04321',
          version: 2,
          title: 'Reasoning Traces &amp; Tool Use',
          summary: 'We study p &lt; 0.05 effects.',
          published: '2025-11-10T18:59:34Z',
          updated: '2025-11-11T04:27:03Z',
        }),
        currentAtomEntry({ id: 'hep-th/9901001', title: 'An Old One', published: '1999-01-04T12:00:00Z' }),
      ],
      { totalResults: 7432 },
    );
    const { papers, skipped, totalResults } = parseArxivFeed(xml);
    expect(skipped).toEqual([]);
    expect(totalResults).toBe(7432);
    expect(papers[0]).toMatchObject({
      ...metadata,
      id: '2511.04321',
      version: 2,
      title: 'Reasoning Traces & Tool Use',
      abstract: 'We study p < 0.05 effects.',
      primaryCategory: 'cs.CL',
      publishedAt: '2025-11-10T18:59:34.000Z',
      updatedAt: '2025-11-11T04:27:03.000Z',
      links: { abs: 'https://arxiv.org/abs/2511.04321', pdf: 'https://arxiv.org/pdf/2511.04321' },
    });
    expect(papers[1]!.links.pdf).toBe('https://arxiv.org/pdf/hep-th/9901001');
  });

  // The current backend writes one <arxiv:doi> per DOI (a paper and its erratum, say); the
  // repeated element reached the parser as an array, and the paper was stored with no DOI.
  it('keeps every DOI of an entry the current backend lists with several', () => {
    const dois = ['10.1103/PhysRevD.103.096005', '10.1103/PhysRevD.104.019901'];
    const entry = { title: 'Two DOIs', published: '2025-11-10T18:59:34Z' };
    const { papers } = parseArxivFeed(
      currentAtomFeed([
        currentAtomEntry({ ...entry, id: '2511.04322', doi: dois }),
        currentAtomEntry({ ...entry, id: '2511.04323', doi: dois[0] }),
      ]),
    );
    // Space-separated, as arXiv's metadata keeps several DOIs in one field.
    expect(papers.map((paper) => paper.doi)).toEqual([dois.join(' '), dois[0]]);
  });

  it('reads entries with and without DOI, comment and journal ref', () => {
    const { papers } = parseArxivFeed(ARXIV.cs);
    expect(papers).toHaveLength(8);
    const withDoi = papers.filter((paper) => paper.doi);
    const withoutDoi = papers.filter((paper) => !paper.doi);
    expect(withDoi.length).toBeGreaterThan(0);
    expect(withoutDoi.length).toBeGreaterThan(0);
    for (const paper of withoutDoi) expect(paper.journalRef).toBeNull();
    expect(papers.some((paper) => paper.comment === null)).toBe(true);
    expect(papers.some((paper) => paper.comment?.includes('pages'))).toBe(true);
    for (const paper of papers) {
      expect(paper.categories[0]).toBe(paper.primaryCategory);
      expect(paper.title).not.toContain('\n');
    }
  });

  // The API (until November 2025) also listed an entry's ACM and MSC classes as <category>
  // elements: term="I.2.9; J.3", "68U35", "35" (e.g. the responses captured in autobib/rsxiv
  // in August 2025, 2201.13452). They were stored as if they were arXiv categories.
  it('keeps arXiv categories and leaves out the ACM and MSC classes listed beside them', () => {
    const xml = atomFeed([
      atomEntry({
        id: '2010.13111',
        title: 'Robots in Care Homes',
        published: '2020-10-25T13:08:42Z',
        categories: ['cs.RO', 'cs.HC', 'I.2.9; J.3', '68U35', '35', 'cond-mat.str-el', 'q-bio.SC'],
      }),
    ]);
    const [paper] = parseArxivFeed(xml).papers;
    expect(paper).toMatchObject({
      categories: ['cs.RO', 'cs.HC', 'cond-mat.str-el', 'q-bio.SC'],
      primaryCategory: 'cs.RO',
    });
  });

  it('decodes XML entities in titles and abstracts', () => {
    const xml = atomFeed([
      atomEntry({
        id: '2503.00001',
        title: 'Q&amp;A with &lt;tags&gt; and caf&#233; &#x3B1;-tests',
        summary: 'We show that p &gt;= 3 &amp; more.',
        published: '2025-03-10T12:00:00Z',
      }),
    ]);
    const [paper] = parseArxivFeed(xml).papers;
    expect(paper!.title).toBe('Q&A with <tags> and café α-tests');
    expect(paper!.abstract).toBe('We show that p >= 3 & more.');
  });

  it('reads authors with affiliations, TeX in a wrapped title, a cross-list and an entry without abstract', () => {
    const affiliation = (name: string) =>
      `<arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">${name}</arxiv:affiliation>`;
    const crossList = atomEntry({
      id: '2503.00004',
      version: 12,
      title: 'On the $\\mathcal{O}(n^{2})$ Cost of\n  $k$-Means',
      published: '2025-03-10T12:00:00Z',
      authors: ['Ann Smith', 'Bo Li'],
      categories: ['math.OC', 'cs.LG', '90C25'],
    })
      .replace('<name>Ann Smith</name>', `<name>Ann Smith</name>\n      ${affiliation('MIT')}`)
      .replace(
        '<name>Bo Li</name>',
        `<name>Bo Li</name>\n      ${affiliation('CMU')}${affiliation('Google')}`,
      );
    const noAbstract = atomEntry({
      id: '2503.00005',
      title: 'No abstract',
      published: '2025-03-10T12:00:00Z',
    }).replace(/<summary>[\s\S]*?<\/summary>/, '');
    const { papers, skipped } = parseArxivFeed(atomFeed([crossList, noAbstract]));
    expect(skipped).toEqual([]);
    expect(papers[0]).toMatchObject({
      id: '2503.00004',
      version: 12,
      title: 'On the $\\mathcal{O}(n^{2})$ Cost of $k$-Means',
      authors: ['Ann Smith', 'Bo Li'],
      categories: ['math.OC', 'cs.LG'],
      primaryCategory: 'math.OC',
    });
    expect(papers[1]).toMatchObject({ id: '2503.00005', title: 'No abstract', abstract: '' });
  });

  it('skips entries that are not papers and keeps the rest', () => {
    const good = atomEntry({ id: '2503.00002', title: 'A good one', published: '2025-03-10T12:00:00Z' });
    const badId = atomEntry({ id: 'nonsense', title: 'Bad id', published: '2025-03-10T12:00:00Z' });
    const noTitle = atomEntry({ id: '2503.00003', title: '', published: '2025-03-10T12:00:00Z' });
    const { papers, skipped } = parseArxivFeed(atomFeed([badId, good, noTitle, '  <entry></entry>']));
    expect(papers.map((paper) => paper.id)).toEqual(['2503.00002']);
    expect(skipped.map((item) => item.index)).toEqual([0, 2, 3]);
    expect(skipped[0]!.reason).toContain('arXiv');
  });

  // The first entry of an id used to win, so a feed listing v1 before v2 kept v1's title.
  it('keeps the newest version when a feed lists several versions of one paper', () => {
    const v1 = atomEntry({
      id: '2503.00010',
      version: 1,
      title: 'Old title',
      published: '2025-03-10T12:00:00Z',
    });
    const v2 = atomEntry({
      id: '2503.00010',
      version: 2,
      title: 'New title',
      published: '2025-03-10T12:00:00Z',
    });
    const other = atomEntry({ id: '2503.00011', title: 'Other', published: '2025-03-10T12:00:00Z' });
    for (const entries of [
      [v1, other, v2],
      [v2, other, v1],
    ]) {
      const { papers, skipped } = parseArxivFeed(atomFeed(entries));
      expect(papers.map((paper) => [paper.id, paper.version, paper.title])).toEqual([
        ['2503.00010', 2, 'New title'],
        ['2503.00011', 1, 'Other'],
      ]);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]!.index).toBe(entries.indexOf(v1));
    }
  });

  it('marks withdrawal versions by their comment or replaced abstract, and nothing else', () => {
    const withdrawn = atomEntry({
      id: '2503.00020',
      version: 2,
      title: 'A Retracted Result',
      published: '2025-03-10T12:00:00Z',
      comment: 'This paper has been withdrawn by the author due to a crucial sign error in equation 1',
    });
    const normal = atomEntry({
      id: '2503.00021',
      title: 'Fine',
      published: '2025-03-10T12:00:00Z',
      comment: '9 pages',
    });
    const { papers } = parseArxivFeed(atomFeed([withdrawn, normal]));
    expect(papers.map((paper) => [paper.id, paper.withdrawn])).toEqual([
      ['2503.00020', true],
      ['2503.00021', false],
    ]);
    for (const comment of [
      'withdrawn',
      'Withdrawn due to an error in the proof of Theorem 3',
      'Paper withdrawn by the authors.',
      'The paper is withdrawn because of a data leak',
      '12 pages; this submission has been withdrawn by arXiv administrators',
      'We withdraw this paper: the experiments were flawed',
      'The authors withdrew this manuscript',
    ]) {
      expect(isWithdrawal(comment, 'An abstract.'), comment).toBe(true);
    }
    for (const comment of [
      '10 pages, 4 figures',
      'v2: replaces the withdrawn arXiv:1234.56789',
      'Accepted at ACL 2025; corrects a withdrawn claim of v1',
    ]) {
      expect(isWithdrawal(comment, 'An abstract.'), comment).toBe(false);
    }
    expect(isWithdrawal(null, 'This paper has been withdrawn by the author.')).toBe(true);
    expect(isWithdrawal(null, 'Withdrawn patients were excluded. We study dropout.')).toBe(false);
  });

  // arXiv comments announce withdrawals in free text; these forms (a version withdrawn, a
  // perfect tense, a retraction, an administrators' removal, even the "as been" typo) occur
  // on arXiv (sampled by reporadar's signals/integrity tests) and each left a withdrawn paper
  // a candidate to be mailed as news.
  it('recognises the other ways arXiv comments announce a withdrawal', () => {
    for (const comment of [
      'This version is withdrawn as the main result does not hold.',
      'This version has been withdrawn',
      'This paper as been withdrawn by the authors',
      'This paper is being withdrawn because of a flaw in the proof',
      'The authors have withdrawn this paper due to an error in Section 4',
      'The author has withdrawn this manuscript',
      'We have withdrawn it.',
      'Withdrew the paper: the dataset was mislabelled',
      'The paper was retracted',
      'Retracted due to an error in Lemma 5',
      'This article has been removed by arXiv administrators because the submitter did not have the rights',
      'arXiv admin note: removed by arXiv administrators',
    ]) {
      expect(isWithdrawal(comment, 'An abstract.'), comment).toBe(true);
    }
    for (const comment of [
      'The previous version was withdrawn because of a proof error; this one fixes it.',
      'Earlier version withdrawn. This revision corrects Theorem 3.',
      'incorporates arXiv:2011.10199, which has been withdrawn',
      'We have withdrawn the claim of Theorem 2 made in v1',
      'v3: corrects a retracted lemma',
    ]) {
      expect(isWithdrawal(comment, 'An abstract.'), comment).toBe(false);
    }
  });

  it('fails the whole response for the API error feed', () => {
    expect(() => parseArxivFeed(ARXIV.error)).toThrow(UpstreamFormatError);
    expect(() => parseArxivFeed(ARXIV.error)).toThrow(/incorrect id format for 1234\.12345v1/);
  });

  // The current backend's error feed (HTTP 400), as arXiv/arxiv-search's classic API tests
  // expect it: https ids, and for a bad sortBy the id is the manual's #sort, not /api/errors.
  it('fails the whole response for the current backend’s error feeds too', () => {
    const errorFeed = (id: string, message: string) =>
      currentAtomFeed([
        `  <entry>\n    <id>${id}</id>\n    <title>Error</title>\n    <summary>${message}</summary>\n    <link href="${id}"/>\n  </entry>`,
      ]);
    expect(() =>
      parseArxivFeed(
        errorFeed('https://arxiv.org/api/errors#start_must_be_non-negative', 'start must be non-negative'),
      ),
    ).toThrow(/arXiv API error: start must be non-negative/);
    expect(() =>
      parseArxivFeed(
        errorFeed(
          'https://arxiv.org/help/api/user-manual#sort',
          'sortBy must be in: relevance, lastUpdatedDate, submittedDate',
        ),
      ),
    ).toThrow(/arXiv API error: sortBy must be in/);
  });

  it('reads an empty result set as zero papers', () => {
    expect(parseArxivFeed(ARXIV.empty)).toEqual({ papers: [], skipped: [], totalResults: 0 });
  });

  it('rejects bodies that are not an Atom feed', () => {
    expect(() => parseArxivFeed('<html><body><h1>502 Bad Gateway</h1>')).toThrow(/not XML/);
    expect(() => parseArxivFeed('{"papers": []}')).toThrow(/not XML/);
    expect(() => parseArxivFeed('')).toThrow(UpstreamFormatError);
    expect(() => parseArxivFeed('<?xml version="1.0"?><rss><channel/></rss>')).toThrow(/not an Atom feed/);
  });

  // A page served with status 200 in place of the feed (a maintenance or gateway page) was
  // reported by the parser's complaint about its markup alone, never by what the page said.
  it('says what a page served in place of the feed says', () => {
    const maintenance = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>arXiv</title>
<link rel="stylesheet" href="/static/base.css"></head>
<body><h1>arXiv is undergoing maintenance</h1><p>Please try again in a few minutes.<br></p></body></html>`;
    expect(() => parseArxivFeed(maintenance)).toThrow(/not XML .*: arXiv arXiv is undergoing maintenance/);
    const gateway =
      '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>';
    expect(() => parseArxivFeed(gateway)).toThrow(/not an Atom feed: 503 Service Temporarily Unavailable/);
  });
});

describe('parseArxivId', () => {
  it('splits the version off new- and old-style ids and URLs', () => {
    expect(parseArxivId('http://arxiv.org/abs/1234.5678v2')).toEqual({ id: '1234.5678', version: 2 });
    expect(parseArxivId('https://arxiv.org/abs/2411.01234')).toEqual({ id: '2411.01234', version: null });
    expect(parseArxivId('http://arxiv.org/abs/hep-th/9901001v1')).toEqual({
      id: 'hep-th/9901001',
      version: 1,
    });
    // The subject class is not part of an old-style id: arXiv names this paper math/0309136.
    expect(parseArxivId('math.GT/0309136v12')).toEqual({ id: 'math/0309136', version: 12 });
    expect(parseArxivId('https://arxiv.org/abs/math.GT/0309136')).toEqual({
      id: 'math/0309136',
      version: null,
    });
    expect(parseArxivId('arXiv:2411.01234v3')).toEqual({ id: '2411.01234', version: 3 });
    expect(parseArxivId('http://arxiv.org/api/errors#incorrect_id')).toBeNull();
    expect(parseArxivId('2411.1')).toBeNull();
  });
});
