/**
 * parseHfDailyPapers against real-shaped Daily Papers payloads: the current shape with
 * AI summaries and links, the older shape without them, and items broken in the ways a
 * changing upstream breaks them (each costs only itself).
 */
import { describe, expect, it } from 'vitest';
import { parseHfDailyPapers } from '../../src/ingest/hf';
import { UpstreamFormatError } from '../../src/ingest/normalise';
import { hfNewShape, hfOldShape } from './fixtures';

describe('parseHfDailyPapers', () => {
  it('normalises the current shape: clean title, every author, AI summary, links', () => {
    const items = hfNewShape();
    const { papers, skipped } = parseHfDailyPapers(items, { date: '2025-03-11' });
    expect(skipped).toEqual([]);
    expect(papers).toHaveLength(items.length);

    const first = papers[0]!;
    expect(first.id).toBe(items[0]!.paper.id);
    expect(items[0]!.paper.title).toContain('\n  ');
    expect(first.title).toBe(
      'An Efficient Multilingual Language Model Compression through Vocabulary Trimming',
    );
    expect(first.abstract).not.toMatch(/\n|\s{2}/);
    expect(first.abstract).toMatch(/^Multilingual language model \(LM\) have become/);
    expect(first.links).toEqual({
      abs: `https://arxiv.org/abs/${first.id}`,
      pdf: `https://arxiv.org/pdf/${first.id}`,
      hf: `https://huggingface.co/papers/${first.id}`,
      code: items[0]!.paper.githubRepo,
      project: null,
    });
    expect(first.githubStars).toBe(items[0]!.paper.githubStars);
    expect(first.upvotes).toBe(items[0]!.paper.upvotes);
    expect(first.numComments).toBe(items[0]!.numComments);
    expect(first.aiSummary).toBe(items[0]!.paper.ai_summary);
    expect(first.aiKeywords).toEqual(items[0]!.paper.ai_keywords);
    expect(first.thumbnailUrl).toBe(items[0]!.thumbnail);
    expect(first.publishedAt).toBe(items[0]!.paper.publishedAt);
    expect(first.hfDate).toBe('2025-03-11');
    expect(first.sources).toEqual(['hf']);
    expect(first.categories).toEqual([]);

    // The second item has a co-author with `hidden: true`: they hid the paper from their Hub
    // profile, which leaves them an author of it (and a match for "papers by ...").
    expect(items[1]!.paper.authors.some((author: { hidden: boolean }) => author.hidden)).toBe(true);
    expect(papers[1]!.authors).toContain('Hidden Coauthor');
    expect(papers[1]!.authors).toEqual(
      items[1]!.paper.authors.map((author: { name: string }) => author.name),
    );
    expect(papers[1]!.links.project).toBe(items[1]!.paper.projectPage);
  });

  it('accepts the older shape without any optional field', () => {
    const items = hfOldShape();
    expect(items[0]!.paper.ai_summary).toBeUndefined();
    const { papers, skipped } = parseHfDailyPapers(items);
    expect(skipped).toEqual([]);
    expect(papers).toHaveLength(items.length);
    for (const paper of papers) {
      expect(paper.aiSummary).toBeNull();
      expect(paper.aiKeywords).toEqual([]);
      expect(paper.links.code).toBeNull();
      expect(paper.githubStars).toBeNull();
      // Without submittedOnDailyAt, the list date comes from the item's publishedAt.
      expect(paper.hfDate).toBe('2023-06-15');
      expect(paper.title).not.toContain('\n');
    }
  });

  it('takes the list day from the item’s publishedAt when submittedOnDailyAt is not a date', () => {
    const items = hfNewShape().slice(0, 2);
    items[0]!.paper.submittedOnDailyAt = 'yesterday';
    items[0]!.publishedAt = '2025-03-11T13:05:00.000Z';
    items[1]!.paper.submittedOnDailyAt = '2025-03-11T25:00:00.000Z';
    items[1]!.publishedAt = '2025-03-11T13:05:00.000Z';
    const { papers } = parseHfDailyPapers(items);
    expect(papers.map((paper) => paper.hfDate)).toEqual(['2025-03-11', '2025-03-11']);
  });

  it('ignores unknown fields instead of rejecting the item', () => {
    const items = hfNewShape().slice(0, 1);
    items[0]!.brandNewField = { nested: true };
    items[0]!.paper.someFutureCounter = 12;
    const { papers, skipped } = parseHfDailyPapers(items);
    expect(skipped).toEqual([]);
    expect(papers).toHaveLength(1);
  });

  // The API's OpenAPI spec (as generated into Stainless clients: APIGetDailyPapersResponseItem)
  // makes these fields optional, and current responses send them as null rather than leave
  // them out (projectPage, paper.source); withdrawnAt and submittedOnDailyBy are newer fields.
  it('reads null optional fields as absent, not as a broken item', () => {
    const [item] = hfNewShape().slice(0, 1);
    Object.assign(item!.paper, {
      githubRepo: null,
      githubStars: null,
      projectPage: null,
      ai_summary: null,
      ai_keywords: null,
      mediaUrls: null,
      source: null,
      withdrawnAt: null,
      submittedOnDailyAt: null,
      submittedOnDailyBy: { _id: '61942296d5c2ba6daa290357', fullname: 'AK', user: 'akhaliq', type: 'user' },
      authors: [...item!.paper.authors, { _id: '61942296d5c2ba6daa290358', name: null, hidden: false }],
    });
    Object.assign(item!, { thumbnail: null, numComments: null, organization: null });
    const { papers, skipped } = parseHfDailyPapers([item], { date: '2025-03-11' });
    expect(skipped).toEqual([]);
    expect(papers[0]).toMatchObject({
      id: item!.paper.id,
      authors: item!.paper.authors.slice(0, -1).map((author: { name: string }) => author.name),
      links: { code: null, project: null },
      githubStars: null,
      thumbnailUrl: null,
      numComments: null,
      aiSummary: null,
      aiKeywords: [],
      hfDate: '2025-03-11',
    });
  });

  // The OpenAPI spec's paper carries `withdrawnAt` (a date-time, null or absent while the
  // paper stands): such a paper used to be stored as a fresh candidate and could be mailed.
  it('skips, and says why, a paper Hugging Face marks as withdrawn', () => {
    const items = hfNewShape().slice(0, 3);
    items[0]!.paper.withdrawnAt = '2025-03-11T09:12:44.210Z';
    items[1]!.paper.withdrawnAt = null;
    const { papers, skipped, withdrawn } = parseHfDailyPapers(items, { date: '2025-03-11' });
    expect(papers.map((paper) => paper.id)).toEqual([items[1]!.paper.id, items[2]!.paper.id]);
    // Returned, so that a copy stored before the mark is marked too (test/delivery/withdrawn.test.ts).
    expect(withdrawn).toEqual([items[0]!.paper.id]);
    expect(skipped).toEqual([
      { index: 0, reason: `paper ${items[0]!.paper.id} was withdrawn on 2025-03-11T09:12:44.210Z` },
    ]);
  });

  it('skips and explains only the broken items', () => {
    const items = hfNewShape().slice(0, 7);
    delete items[0]!.paper; // no paper at all
    items[1]!.paper.id = 'not-an-arxiv-id'; // no arXiv id: cannot dedupe or link
    items[2]!.title = '   ';
    items[2]!.paper.title = '\n  ';
    items[3]!.paper.id = 12345; // wrong type
    items[4]!.paper.upvotes = 'lots'; // garbage counter: item kept, counter unknown
    items[4]!.paper.githubRepo = 'javascript:alert(1)'; // never a clickable link
    items[4]!.paper.ai_keywords = 'not a list';
    items.push(structuredClone(items[5]!)); // the same paper twice in one list
    const { papers, skipped } = parseHfDailyPapers([...items, null, 'text']);
    expect(skipped.map((item) => item.index)).toEqual([0, 1, 2, 3, 7, 8, 9]);
    expect(skipped[0]!.reason).toContain('paper');
    expect(skipped[1]!.reason).toContain('not an arXiv id');
    expect(skipped[2]!.reason).toContain('no title');
    expect(skipped[4]!.reason).toContain('duplicate');
    expect(papers.map((paper) => paper.id)).toEqual([
      items[4]!.paper.id,
      items[5]!.paper.id,
      items[6]!.paper.id,
    ]);
    const lenient = papers[0]!;
    expect(lenient.upvotes).toBeNull();
    expect(lenient.links.code).toBeNull();
    expect(lenient.aiKeywords).toEqual([]);
  });

  // The API repeats title and abstract on the item and on its paper; a null (or blank) copy
  // used to reject the whole item, or leave it untitled, although the other copy was there.
  it('takes title and abstract from whichever copy has them, null or blank copies cost nothing', () => {
    const items = hfNewShape().slice(0, 4);
    const expected = items.map((item) => parseHfDailyPapers([item]).papers[0]!);
    items[0]!.title = null;
    items[1]!.paper.title = null;
    items[1]!.paper.summary = null;
    items[2]!.title = '  ';
    items[2]!.paper.summary = '';
    items[3]!.summary = null;
    const { papers, skipped } = parseHfDailyPapers(items);
    expect(skipped).toEqual([]);
    expect(papers.map((paper) => [paper.title, paper.abstract])).toEqual(
      expected.map((paper) => [paper.title, paper.abstract]),
    );
    expect(papers.every((paper) => paper.title !== '' && paper.abstract !== '')).toBe(true);
  });

  // A control character in upstream text reached email subjects, HTML and the mail API's
  // request body, which may refuse it (and with it the subscriber's whole digest).
  it('turns control characters in titles, abstracts, authors and keywords into spaces', () => {
    const [item] = hfNewShape().slice(0, 1);
    item!.title = 'Robust\u0000Agents:\u0007 Tool\u007fUse \u0085at Scale\u001b';
    item!.paper.title = item!.title;
    item!.summary = 'We study\u0001tool use.\u009f';
    item!.paper.summary = item!.summary;
    item!.paper.authors = [{ name: 'Ada\u0002Lovelace' }];
    item!.paper.ai_keywords = ['tool\u0003use'];
    const [paper] = parseHfDailyPapers([item]).papers;
    expect(paper).toMatchObject({
      title: 'Robust Agents: Tool Use at Scale',
      abstract: 'We study tool use.',
      authors: ['Ada Lovelace'],
      aiKeywords: ['tool use'],
    });
  });

  // Anyone who claims a paper on Hugging Face sets its GitHub repo and project page. The
  // URL parser drops a newline and accepts whatever follows it, so text after a real URL
  // ("https://github.com/x\n\nYour subscription expires: log in at …") was kept as the
  // link and printed in every digest's plain-text part as if we had written it.
  it('keeps a link only when it is a plain http(s) URL: no text after it, no credentials', () => {
    const [item] = hfNewShape().slice(0, 1);
    const cases: [string, string | null][] = [
      ['https://github.com/org/repo', 'https://github.com/org/repo'],
      ['  https://example.org/project?a=1&b=2#top  ', 'https://example.org/project?a=1&b=2#top'],
      ['https://github.com/x\n\nYour subscription expires: log in at https://evil.example', null],
      ['https://github.com/x Your subscription expires', null],
      ['https://github.com/x\tlog in', null],
      ['https://github.com/x\u0000', null],
      ['https://github.com/x\u202egnp.exe', null],
      ['https://github.com@evil.example/login', null],
      ['https://user:secret@example.org/', null],
    ];
    for (const [value, expected] of cases) {
      item!.paper.githubRepo = value;
      item!.paper.projectPage = value;
      const [paper] = parseHfDailyPapers([item]).papers;
      expect([paper!.links.code, paper!.links.project], JSON.stringify(value)).toEqual([expected, expected]);
    }
  });

  it('keeps the version of a versioned id and accepts old-style ids', () => {
    const items = hfOldShape().slice(0, 2);
    items[0]!.paper.id = '2306.01234v3';
    items[1]!.paper.id = 'hep-th/9901001';
    const { papers } = parseHfDailyPapers(items);
    expect(papers.map((paper) => [paper.id, paper.version])).toEqual([
      ['2306.01234', 3],
      ['hep-th/9901001', null],
    ]);
  });

  it('rejects a body that is not a list of papers', () => {
    expect(() => parseHfDailyPapers({ error: 'Invalid date' })).toThrow(UpstreamFormatError);
    expect(() => parseHfDailyPapers({ error: 'Invalid date' })).toThrow(/Invalid date/);
    expect(() => parseHfDailyPapers(null)).toThrow(/expected a JSON array/);
  });

  it('treats an empty list (weekend, holiday) as no papers', () => {
    expect(parseHfDailyPapers([])).toEqual({ papers: [], skipped: [], withdrawn: [] });
  });
});
