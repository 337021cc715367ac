/**
 * The sender's cache of editions is bounded by their size in candidates, not only by
 * count: an edition in memory costs ~10 kB per candidate, and twice its papers while it
 * is set up, so three large ones would not fit in an isolate. The newest edition is
 * always kept, and older ones make room as soon as its size is known.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { EditionShelf, editionContext, editionsToDrop, renderEmail } from '../../src/delivery/render';
import { renderDigestReference } from '../../src/digest';
import { DEFAULT_CARD_BYTES } from '../../src/digest/prepare';
import type { Paper } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { buildEditionIndex, profileFromSubscriber, rankForSubscriber } from '../../src/ranking';
import { makePaper, makeSubscriber, snapshotPapers } from '../factories';

const edition = (id: string, candidates: number) => ({ id, candidates });

describe('editionsToDrop', () => {
  it('keeps small editions up to the count', () => {
    expect(editionsToDrop([edition('a', 300), edition('b', 300), edition('c', 300)], 4_000, 3)).toEqual([]);
    expect(
      editionsToDrop([edition('a', 300), edition('b', 300), edition('c', 300), edition('d', 300)], 4_000, 3),
    ).toEqual(['a']);
  });

  it('drops the oldest large editions until the rest fit the candidate budget', () => {
    expect(editionsToDrop([edition('a', 3_000), edition('b', 3_000)], 4_000, 3)).toEqual(['a']);
    expect(editionsToDrop([edition('a', 3_000), edition('b', 500), edition('c', 3_000)], 4_000, 3)).toEqual([
      'a',
    ]);
  });

  it('always keeps the newest edition, however large', () => {
    expect(editionsToDrop([edition('a', 300), edition('b', 10_000)], 4_000, 3)).toEqual(['a']);
    expect(editionsToDrop([edition('b', 10_000)], 4_000, 3)).toEqual([]);
  });

  it('counts an edition still being built as nothing yet', () => {
    expect(editionsToDrop([edition('a', 3_000), edition('b', 0)], 4_000, 3)).toEqual([]);
  });
});

describe('EditionShelf', () => {
  /** A build that waits for `finish` after telling its size, like loading papers then indexing them. */
  function slowBuild(candidates: number) {
    let finish!: () => void;
    const indexed = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const build = async (reserve: (candidates: number) => void) => {
      await Promise.resolve();
      reserve(candidates);
      await indexed;
      return { candidates };
    };
    return { build, finish };
  }

  it('makes room for a large edition before it is built, not after', async () => {
    const shelf = new EditionShelf<{ candidates: number }>(4_000, 3);
    await shelf.build('small', async () => ({ candidates: 3_000 }));
    const large = slowBuild(10_000);
    const pending = shelf.build('large', large.build);
    // Its size is not known yet: both are kept.
    expect(shelf.ids()).toEqual(['small', 'large']);
    await Promise.resolve();
    await Promise.resolve();
    // Known, and still being built: the older edition has made room.
    expect(shelf.ids()).toEqual(['large']);
    large.finish();
    expect(await pending).toEqual({ candidates: 10_000 });
    expect(shelf.ids()).toEqual(['large']);
  });

  it('forgets an edition that does not exist or failed, and keeps a rebuilt one as the newest', async () => {
    const shelf = new EditionShelf<{ candidates: number }>(4_000, 3);
    await shelf.build('a', async (reserve) => {
      await Promise.resolve();
      reserve(100);
      return { candidates: 100 };
    });
    await shelf.build('gone', async () => null);
    await expect(shelf.build('broken', async () => Promise.reject(new Error('D1 down')))).rejects.toThrow(
      'D1 down',
    );
    await shelf.build('b', async () => ({ candidates: 100 }));
    expect(shelf.ids()).toEqual(['a', 'b']);
    await shelf.build('a', async () => ({ candidates: 100 }));
    expect(shelf.ids()).toEqual(['b', 'a']);
  });

  it('hands every edition it lets go, built, to onDrop (to free what it holds elsewhere)', async () => {
    const dropped: string[] = [];
    const shelf = new EditionShelf<{ id: string }>(4_000, 2, (built) => dropped.push(built.id));
    await shelf.build('a', async () => ({ id: 'a' }));
    await shelf.build('b', async () => ({ id: 'b' }));
    await shelf.build('c', async () => ({ id: 'c' }));
    await shelf.build('gone', async () => null);
    await Promise.resolve();
    expect(shelf.ids()).toEqual(['c']);
    expect(dropped).toEqual(['a', 'b']);
  });
});

describe('editionContext', () => {
  const edition = {
    id: 'daily-pages',
    frequency: 'daily' as const,
    periodKey: '2026-11-26',
    plannedAt: '2026-11-26T08:00:00.000Z',
    windowStart: '2026-11-25T08:00:00.000Z',
    windowEnd: '2026-11-26T08:00:00.000Z',
    paperIds: [],
  };

  it('reads its papers page by page into the same index, keeping of each what its card shows', async () => {
    const papers = snapshotPapers().map((paper) => ({ ...paper, aiSummary: null }));
    async function* pages() {
      for (let from = 0; from < papers.length; from += 7) yield papers.slice(from, from + 7);
    }
    const config = parseConfig(env);
    const paged = await editionContext(config, edition, pages());
    const whole = buildEditionIndex(papers);
    expect(paged.index.ids).toEqual(whole.ids);
    expect(paged.index.docTerms).toEqual(whole.docTerms);
    expect(paged.index.postingStrengths).toEqual(whole.postingStrengths);
    expect([...paged.index.acronyms.expansions]).toEqual([...whole.acronyms.expansions]);
    const reader = makeSubscriber({
      interests: 'reinforcement learning, large language models',
      digestSize: 8,
    });
    const ranked = (index: typeof whole) =>
      rankForSubscriber(index, profileFromSubscriber(reader)).papers.map((item) => [
        item.paper.id,
        item.score,
      ]);
    expect(ranked(paged.index)).toEqual(ranked(whole));
    // Whole abstracts were read for the index, and only the start of each is kept.
    const longest = Math.max(...papers.map((paper) => paper.abstract.length));
    expect(longest).toBeGreaterThan(1_000);
    expect(Math.max(...paged.papers.map((paper) => paper.abstract.length))).toBeLessThanOrEqual(641);
    expect(paged.index.papers).toBe(paged.papers);
  });

  it('gives the cards of an edition past 3,000 candidates less room, in proportion', async () => {
    const many = (count: number) =>
      Array.from({ length: count }, (_, n) =>
        makePaper({ id: `2611.${String(n).padStart(5, '0')}`, title: `Paper ${n}` }),
      );
    const config = parseConfig(env);
    const small = await editionContext(config, edition, many(3_000));
    expect(small.prepared.cards.budget).toBe(DEFAULT_CARD_BYTES);
    const large = await editionContext(config, edition, many(6_000));
    expect(large.prepared.cards.budget).toBe(DEFAULT_CARD_BYTES / 2);
    expect(large.index.cache.budget).toBeLessThan(small.index.cache.budget);
  });

  it('keeps of each paper what its card and the ranking read: the same email as from the whole papers', async () => {
    const papers = snapshotPapers()
      .slice(0, 40)
      .map((paper, n) => ({
        ...paper,
        comment: `Accepted at a venue, ${n} pages`,
        doi: `10.1000/${n}`,
        journalRef: `Journal ${n}`,
        thumbnailUrl: `https://cdn.example.org/${n}.png`,
        aiKeywords: ['language models'],
        aiSummary: n % 2 ? `Summary ${n} of what the paper does.` : null,
        // Links of another form than ingest makes from the id (a versioned abs page, no
        // PDF, another Hugging Face page) are kept as they are; the others made from the id.
        links:
          n === 5
            ? { ...paper.links, abs: `https://arxiv.org/abs/${paper.id}v2` }
            : n === 6
              ? { ...paper.links, pdf: null }
              : n === 7
                ? { ...paper.links, hf: `https://huggingface.co/papers/${paper.id}?v=2` }
                : {
                    ...paper.links,
                    hf: n % 4 ? paper.links.hf : null,
                    code: `https://github.com/example/${n}`,
                  },
        githubStars: n * 3,
        withdrawn: n === 3,
      }));
    const config = parseConfig(env);
    const context = await editionContext(config, edition, papers);
    const whole = new Map(papers.map((paper) => [paper.id, paper]));
    const shown = context.papers.find((paper) => paper.id === papers[0]!.id)!;
    expect(shown.comment).toBeNull();
    expect(shown.sources).toEqual([]);
    const read = ({ abs, pdf, hf, code, project }: Paper['links']) => ({ abs, pdf, hf, code, project });
    for (const [n, paper] of papers.entries()) {
      const kept = context.paperById.get(paper.id)!;
      expect(read(kept.links)).toEqual(read(paper.links));
      if (n >= 5 && n <= 7) expect(kept.links).toBe(paper.links);
    }
    expect(shown.links).not.toBe(papers[0]!.links);
    expect(context.paperById.get(papers[8]!.id)!.links.hf).toBeNull();
    for (const [n, interests] of ['language models, reinforcement learning', 'agents', ''].entries()) {
      const subscriber = makeSubscriber({ interests, digestSize: 12, alwaysSend: true });
      const ranked = rankForSubscriber(context.index, profileFromSubscriber(subscriber)).papers;
      expect(ranked.length).toBeGreaterThan(0);
      const email = await renderEmail(config, context, subscriber, `del-${n}`, ranked);
      const reference = await renderDigestReference(
        config,
        { editionDate: edition.plannedAt.slice(0, 10) },
        { subscriber, deliveryId: `del-${n}`, basis: 'relevant' },
        ranked.map((item) => ({ ...item, paper: whole.get(item.paper.id)! })),
      );
      expect(email.html).toBe(reference.html);
      expect(email.text).toBe(reference.text);
    }
  });

  it('finds its papers by id through the index, unique ids or not', async () => {
    const papers = snapshotPapers().slice(0, 12);
    const config = parseConfig(env);
    const context = await editionContext(config, edition, papers);
    for (const paper of context.papers) {
      expect(context.paperById.has(paper.id)).toBe(true);
      expect(context.paperById.get(paper.id)).toBe(paper);
    }
    expect(context.paperById.has('2611.99999')).toBe(false);
    expect(context.paperById.get('2611.99999')).toBeUndefined();
    // The edition's ids are the papers' own, as read.
    expect(context.edition.paperIds).toEqual(papers.map((paper) => paper.id));
    expect(context.papers.map((paper) => paper.ingestedAt)).toEqual(papers.map((paper) => paper.ingestedAt));
    // Two candidates with one id (the index then has no id map): the last one, as a Map would.
    const twice = [...papers, { ...papers[0]!, title: 'The same id again' }];
    const doubled = await editionContext(config, edition, twice);
    expect(doubled.index.docOf).toBeNull();
    expect(doubled.paperById.get(papers[0]!.id)!.title).toBe('The same id again');
    expect(doubled.paperById.has(papers[5]!.id)).toBe(true);
  });

  it('makes an empty edition when it has no candidates', async () => {
    async function* none(): AsyncGenerator<never> {}
    const empty = await editionContext(parseConfig(env), edition, none());
    expect(empty.papers).toEqual([]);
    expect(empty.prepared.cards.size).toBe(0);
    const result = rankForSubscriber(
      empty.index,
      profileFromSubscriber(makeSubscriber({ interests: 'agents' })),
    );
    expect(result.papers).toEqual([]);
    expect(result.skipReason).toBe('no new papers');
  });
});
