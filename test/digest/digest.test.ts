/**
 * The digest fast path: every subscriber's email assembled from the per-edition render
 * must be byte-identical (subject, HTML and text) to a full React render of the same
 * template, for many random subscribers, papers and hostile characters; and the email
 * itself must carry what the issue asks (links, why, 👍/👎, footer) within Gmail's limit.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { assembleDigest, fallbackRenders, prepareEdition, renderDigestReference } from '../../src/digest';
import { subjectFor } from '../../src/digest/format';
import type { Paper, Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { chunksByteLength, chunksToString } from '../../src/lib/json';
import {
  buildEditionIndex,
  profileFromSubscriber,
  type RankedPaper,
  rankForSubscriber,
} from '../../src/ranking';
import { verifyDigestToken, verifyToken } from '../../src/tokens';
import { makePaper, makeSubscriber, seededRandom, snapshotPapers } from '../factories';
import { expectNoMsoInText, expectOutlookGhostTable } from '../helpers/outlook';

const config = parseConfig({
  ...env,
  POSTAL_ADDRESS: 'Papers Digest, 1 Example Street & Sons, "Example" City',
});
const NASTY = ['&', '<', '>', '"', "'", '&amp;', '<script>', "O'Brien", '"quoted"', '\u00a0', '  spaced  '];

function hostilePapers(): Paper[] {
  const next = seededRandom(7);
  return snapshotPapers().map((paper, position) => {
    const nasty = NASTY[position % NASTY.length]!;
    return {
      ...paper,
      title: position % 3 === 0 ? `${paper.title} ${nasty} Q&A <b>` : paper.title,
      authors: [`Zoë ${nasty} Müller`, 'Ann "Annie" O\'Neil', ...paper.authors].slice(0, 1 + (position % 6)),
      aiSummary: position % 2 === 0 ? `Summary ${nasty} of ${paper.title}` : null,
      aiKeywords: position % 2 === 0 ? ['language models', 'alignment'] : [],
      upvotes: Math.floor(next() * 200),
      numComments: Math.floor(next() * 10),
      githubStars: position % 5 === 0 ? 1234 : null,
      links: {
        ...paper.links,
        code: position % 4 === 0 ? `https://github.com/org/repo?x=1&y=${position}` : null,
        project: position % 6 === 0 ? 'https://example.org/project' : null,
        hf: position % 2 === 0 ? paper.links.hf : null,
      },
    };
  });
}

/** A subscriber with the given id (the tests vary the rest). */
const subscriber = (id: string, fields: Partial<Subscriber> = {}): Subscriber =>
  makeSubscriber({ id, email: `reader-${id}@example.org`, interests: 'RLHF, language models', ...fields });

const INTEREST_POOL = [
  'RLHF',
  'vision-language models',
  'mixture of experts',
  'code generation',
  'speech & audio <synthesis>',
  '"quoted" interest',
  "O'Reilly's agents",
  'author: Zoë & Müller',
  'cs.CL',
  'knowledge distillation',
  'multilingual',
];

describe('fast path equals a full React render', () => {
  it('for many random subscribers, including hostile characters', async () => {
    const papers = hostilePapers();
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    // Every card came from a shape template: React rendered the shapes and the layout, once each.
    expect(prepared.stats.cardsViaReact).toBe(0);
    expect(prepared.stats.reactRenders).toBe(2);
    expect(prepared.stats.shapes).toBeLessThan(papers.length / 4);
    const fallbacksBefore = fallbackRenders.count;
    const index = buildEditionIndex(papers);
    const next = seededRandom(42);
    for (let n = 0; n < 40; n++) {
      const interests = INTEREST_POOL.filter(() => next() < 0.3).join(n % 2 ? ', ' : '\n');
      const reader = subscriber(`sub-${n}-${Math.floor(next() * 1e6)}`, {
        email: n % 4 === 0 ? `o'brien+${n}&co@example.org` : `reader${n}@example.org`,
        interests,
        digestSize: 1 + Math.floor(next() * 20),
        trendingMix: Math.round(next() * 10) / 10,
        tokenVersion: 1 + (n % 3),
      });
      let ranked = rankForSubscriber(index, profileFromSubscriber(reader)).papers;
      if (n % 7 === 0) ranked = ranked.map((item) => ({ ...item, why: [] }));
      if (n % 9 === 0)
        ranked = ranked.map((item) => ({ ...item, why: ['a < b & "c"', "  it's   spaced  "] }));
      // One reason per card (the common case, labelled without joining): spaced, or blank.
      if (n % 11 === 0)
        ranked = ranked.map((item, position) => ({
          ...item,
          why: [position % 2 ? ' \u200b ' : "  by O'Neil\t& co "],
        }));
      const basis = n % 5 === 0 ? ('trending' as const) : ('relevant' as const);
      const recipient = { subscriber: reader, deliveryId: `del-${n}`, basis };
      const fast = await assembleDigest(prepared, config, recipient, ranked);
      const full = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
      expect(fast.subject).toBe(full.subject);
      expect(fast.html).toBe(full.html);
      expect(fast.text).toBe(full.text);
      // The JSON literals the request body is joined from hold exactly these strings, in ASCII.
      const htmlJson = chunksToString(fast.json!.html);
      const textJson = chunksToString(fast.json!.text);
      expect(JSON.parse(htmlJson)).toBe(fast.html);
      expect(JSON.parse(textJson)).toBe(fast.text);
      expect(htmlJson + textJson).toMatch(/^[\x20-\x7e]*$/);
      // Their sizes as the assembler counted them, which the request body relies on.
      expect(chunksByteLength(fast.json!.html)).toBe(htmlJson.length);
      expect(chunksByteLength(fast.json!.text)).toBe(textJson.length);
    }
    // ...and no email left the fast path for a full React render.
    expect(fallbackRenders.count).toBe(fallbacksBefore);
  });

  it('with cards filled on demand within a small budget, evicted and filled again', async () => {
    const papers = hostilePapers();
    // Room for about four cards: most are filled, dropped and filled again.
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers, cardBytes: 20_000 });
    const decoder = new TextDecoder();
    expect(prepared.cards.size).toBe(papers.length);
    expect(prepared.cards.filled).toBe(0);
    const index = buildEditionIndex(papers);
    const next = seededRandom(5);
    const seen = new Map<string, string>();
    for (let n = 0; n < 12; n++) {
      const interests = INTEREST_POOL.filter(() => next() < 0.3).join(', ');
      const reader = subscriber(`budget-${n}`, { interests, digestSize: 10 });
      const ranked = rankForSubscriber(index, profileFromSubscriber(reader)).papers;
      const recipient = { subscriber: reader, deliveryId: `budget-${n}` };
      const fast = await assembleDigest(prepared, config, recipient, ranked);
      const full = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
      expect(fast.html).toBe(full.html);
      expect(fast.text).toBe(full.text);
      expect(prepared.cards.filled).toBeLessThanOrEqual(5);
      // A card filled again is the same card.
      for (const item of ranked) {
        const card = prepared.cards.get(item.paper.id)!;
        const html = card.html.parts.map((part) => decoder.decode(part)).join('|');
        expect(seen.get(item.paper.id) ?? html).toBe(html);
        seen.set(item.paper.id, html);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(prepared.cards.filled).toBeGreaterThan(1);
    expect(prepared.cards.get('not-in-this-edition')).toBeUndefined();
  });

  it('also for a single paper and for an empty list', async () => {
    const papers = hostilePapers().slice(0, 5);
    const prepared = await prepareEdition(config, { editionDate: '2026-11-27', papers, frequency: 'weekly' });
    const reader = subscriber('solo');
    for (const ranked of [
      [{ paper: papers[3]!, score: 1, why: ['by O\'Neil & "co"'] }],
      [],
    ] as RankedPaper[][]) {
      const recipient = { subscriber: reader, deliveryId: 'd1' };
      const fast = await assembleDigest(prepared, config, recipient, ranked);
      expect(JSON.parse(chunksToString(fast.json!.text))).toBe(fast.text);
      const full = await renderDigestReference(
        config,
        { editionDate: '2026-11-27', frequency: 'weekly' },
        recipient,
        ranked,
      );
      expect(fast.html).toBe(full.html);
      expect(fast.text).toBe(full.text);
    }
  });
  it('shows TeX in titles and abstracts as Unicode, in the subject, the preheader, the HTML and the text', async () => {
    const [first, second] = hostilePapers();
    const papers: Paper[] = [
      {
        ...first!,
        title: '$\\alpha$-Divergence Policy Optimization in $O(n \\log n)$ with \\textit{FlashRL}',
        aiSummary: null,
        abstract:
          'We reach a 48.6\\% win rate on $\\mathbb{R}^d$ at $\\mathcal{O}(1)$ cost --- for $5 million.',
      },
      { ...second!, title: 'R$^{2}$-Tuning: a $2\\times$ Faster Recipe', aiSummary: null },
    ];
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    const ranked = papers.map((paper) => ({ paper, score: 1, why: ['matches “RLHF”'] }));
    const recipient = { subscriber: subscriber('tex'), deliveryId: 'del-tex' };
    const fast = await assembleDigest(prepared, config, recipient, ranked);
    const full = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
    expect(fast.subject).toBe(full.subject);
    expect(fast.html).toBe(full.html);
    expect(fast.text).toBe(full.text);
    expect(fast.subject).toBe(
      '2 new papers: α-Divergence Policy Optimization in O(n log n) with FlashRL and 1 more',
    );
    // The text part's lines are wrapped at 78 characters: read as one.
    for (const body of [fast.html, fast.text.replace(/\s+/g, ' ')]) {
      expect(body).toContain('α-Divergence Policy Optimization in O(n log n) with FlashRL');
      expect(body).toContain('We reach a 48.6% win rate on ℝᵈ at O(1) cost — for $5 million.');
      expect(body).toContain('R²-Tuning: a 2× Faster Recipe');
      expect(body).not.toMatch(/\\(alpha|textit|mathbb|times)|\$\^/);
    }
    // The preheader (HTML only) reads the same way.
    expect(fast.html).toContain(
      'α-Divergence Policy Optimization in O(n log n) with FlashRL · also: R²-Tuning',
    );
  });

  it('also for cards React must render itself and for every optional part missing', async () => {
    // Card strings the per-shape templates cannot reproduce by escaping (React rewrites
    // javascript: URLs; html-to-text hides an href equal to the link text, strips mailto:
    // and drops #anchors) and shapes with authors, stats or summary missing.
    const base = hostilePapers().slice(0, 8);
    const longId = `2411.${'9'.repeat(90)}`;
    const papers: Paper[] = [
      { ...base[0]!, links: { ...base[0]!.links, code: 'javascript:alert(1)' } },
      {
        ...base[1]!,
        title: 'https://arxiv.org/abs/2411.00001',
        links: { ...base[1]!.links, abs: 'https://arxiv.org/abs/2411.00001', hf: null },
      },
      { ...base[2]!, links: { ...base[2]!.links, project: 'mailto:team@example.org' } },
      { ...base[3]!, links: { ...base[3]!.links, code: '#code' } },
      { ...base[4]!, links: { ...base[4]!.links, hf: 'https://huggingface.co/papers/a b' } },
      { ...base[5]!, authors: [], upvotes: 0, numComments: 0, githubStars: null },
      { ...base[6]!, aiSummary: null, abstract: '  \u200b ', title: ' \u2028 ' },
      {
        ...base[7]!,
        id: longId,
        links: { ...base[7]!.links, abs: `https://arxiv.org/abs/${longId}`, hf: null },
      },
    ];
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    // The first five need React (javascript:, title = URL, mailto:, #anchor, spaced href).
    expect(prepared.stats.cardsViaReact).toBe(5);
    for (const [n, id] of ['plain', 'ünï"cødé\'<&>', crypto.randomUUID()].entries()) {
      const reader = subscriber(id, { tokenVersion: n + 1 });
      const ranked = papers.map((paper, position) => ({
        paper,
        score: 1,
        why: position % 2 ? ['matches “RLHF”'] : [],
      }));
      const recipient = { subscriber: reader, deliveryId: `del-${n}` };
      const fast = await assembleDigest(prepared, config, recipient, ranked);
      const full = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
      expect(fast.html).toBe(full.html);
      expect(fast.text).toBe(full.text);
      expect(fast.subject).toBe(full.subject);
    }
  });
});

describe('digest content', () => {
  const papers = snapshotPapers()
    .slice(0, 20)
    .map((paper, position) =>
      makePaper({
        ...paper,
        authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra'].slice(
          0,
          1 + (position % 4),
        ),
        upvotes: 100 - position,
        numComments: position,
        links: { ...paper.links, code: `https://github.com/example/repo-${position}` },
      }),
    );
  const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why: ['matches “RLHF”'] }));
  const reader = subscriber('reader-1', { email: 'ada@example.org', interests: 'RLHF; by Alan Turing' });
  /** The reader's digest of every ranked paper, from a fresh preparation of the edition. */
  const readerDigest = async (deliveryId: string) => {
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    return assembleDigest(prepared, config, { subscriber: reader, deliveryId }, ranked);
  };

  it('has header, cards, footer, signed links and stays under Gmail’s clipping size', async () => {
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    const email = await assembleDigest(prepared, config, { subscriber: reader, deliveryId: 'del-9' }, ranked);
    expect(new TextEncoder().encode(email.html).length).toBeLessThan(102 * 1024);
    expect(email.subject).toBe(`20 new papers: ${papers[0]!.title} and 19 more`);
    expect(email.html).toContain('Thursday, 26 November 2026');
    expect(email.html).toContain('20 papers picked for you');
    expect(email.html).toContain('max-width:600px');
    expect(email.html).toContain('prefers-color-scheme: dark');
    expect(email.html).not.toMatch(/fonts\.googleapis|@import|<link[^>]+font/);
    expect(email.html).toContain('Ada Lovelace, Alan Turing, Grace Hopper et al.');
    expect(email.html).toContain('▲ 100 upvotes');
    expect(email.html).toContain('Why: matches “RLHF”');
    expect(email.html).toContain('Papers Digest, 1 Example Street &amp; Sons, &quot;Example&quot; City');
    expect(email.html).toContain('ada@example.org');
    for (const label of ['arXiv', 'PDF', 'Code', 'Hugging Face', 'Unsubscribe', 'View in browser']) {
      expect(email.html).toContain(`>${label}</a>`);
    }
    // Every 👍 link carries the digest's one token and its paper as a plain parameter.
    const upLinks = [...email.text.matchAll(/👍 More like this\s+(\S+)/g)].map((match) => match[1]!);
    expect(upLinks).toHaveLength(20);
    const tokens = new Set<string>();
    for (const [position, link] of upLinks.entries()) {
      const url = new URL(link);
      expect(url.origin + url.pathname).toBe('https://digest.test/feedback');
      expect(url.searchParams.get('vote')).toBe('up');
      expect(url.searchParams.get('paper')).toBe(papers[position]!.id);
      tokens.add(url.searchParams.get('token')!);
    }
    expect(tokens.size).toBe(1);
    const check = await verifyDigestToken(config.TOKEN_SECRET, [...tokens][0]);
    expect(check).toEqual({ ok: true, deliveryId: 'del-9', version: 1 });
    const view = new URL(/View in browser\s+(\S+)/.exec(email.text)![1]!);
    expect(view.searchParams.get('token')).toBe([...tokens][0]);
    const unsubscribe = new URL(/Unsubscribe\s+(\S+)/.exec(email.text)![1]!);
    expect(
      await verifyToken(config.TOKEN_SECRET, unsubscribe.searchParams.get('token'), 'unsubscribe'),
    ).toMatchObject({ ok: true, claims: { s: 'reader-1', v: 1 } });
    expect(email.text).toMatch(/Unsubscribe\s+https:\/\/digest\.test\/unsubscribe\?token=/);
    expect(email.text).toMatch(/View in browser\s+https:\/\/digest\.test\/digest\?token=/);
    expect(email.text.replace(/\s+/g, ' ')).toContain(papers[0]!.title);
  });

  it('shows, at the largest digest size, only the papers that fit under Gmail’s clipping size', async () => {
    // Long titles (LaTeX, non-Latin script, emoji), a full summary and every link: 50 such
    // cards are ~130 KB, and Gmail would hide everything past 102 KB, footer included.
    const long = snapshotPapers()
      .slice(0, 50)
      .map((paper, position) =>
        makePaper({
          ...paper,
          title: `${paper.title}: ${position % 2 ? 'Scaling $\\mathcal{O}(n^2)$ attention & <memory>' : '大规模语言模型的对齐与偏好学习 🚀 Ελληνικά'}`,
          aiSummary: `${paper.abstract} ${paper.abstract}`,
          authors: [
            'Ada Lovelace-Byron',
            'Alan Mathison Turing',
            'Grace Brewster Murray Hopper',
            'Edsger Dijkstra',
          ],
          upvotes: 1234,
          numComments: 56,
          githubStars: 12_345,
          links: {
            ...paper.links,
            code: `https://github.com/some-organisation/some-long-repository-name-${position}`,
            project: `https://some-organisation.github.io/some-long-project-page-${position}/`,
          },
        }),
      );
    const rankedLong: RankedPaper[] = long.map((paper) => ({
      paper,
      score: 1,
      why: ['matches “large language models”', 'trending: 1234 upvotes'],
    }));
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers: long });
    const recipient = { subscriber: reader, deliveryId: 'del-11' };
    const email = await assembleDigest(prepared, config, recipient, rankedLong);
    const bytes = new TextEncoder().encode(email.html).length;
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(email.papers).toBeGreaterThan(25);
    expect(email.papers).toBeLessThan(50);
    // One more card would not have fitted: no paper is left out that had room.
    const oneMore = await renderDigestReference(
      config,
      { editionDate: '2026-11-26' },
      recipient,
      rankedLong.slice(0, email.papers + 1),
    );
    expect(oneMore.papers).toBe(email.papers);
    expect(email.subject).toMatch(
      new RegExp(`^${email.papers} new papers: .+ and ${email.papers - 1} more$`),
    );
    expect(email.html).toContain(`${email.papers} papers picked for you`);
    expect((email.html.match(/class="pd-c"/g) ?? []).length).toBe(email.papers);
    expect(email.html).toContain('>Unsubscribe</a>');
    expect(email.html).toContain('>Change interests and schedule</a>');
    // The React render cuts at the same paper.
    const full = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, rankedLong);
    expect(full.papers).toBe(email.papers);
    expect(email.html).toBe(full.html);
    expect(email.text).toBe(full.text);
    expect(email.subject).toBe(full.subject);
  });

  it('pads cards on their cell, which Outlook on Windows honours (it ignores padding on a table)', async () => {
    const email = await readerDigest('del-12');
    const cards = [...email.html.matchAll(/<table([^>]*class="pd-c"[^>]*)><tbody><tr><td([^>]*)>/g)];
    expect(cards).toHaveLength(20);
    for (const [, table, cell] of cards) {
      expect(table).not.toContain('padding');
      expect(cell).toContain('padding:16px 18px');
    }
  });

  it('pads no table at all, the container, header and footer included: each pads its cell', async () => {
    const email = await readerDigest('del-12');
    const html = email.html;
    const tables = [...html.matchAll(/<table\b[^>]*>/g)].map((m) => m[0]);
    expect(tables.length).toBeGreaterThan(20);
    for (const table of tables) expect(table).not.toMatch(/style="[^"]*padding/);
    // The space they had is now on their cells: the container's 12 px gutters, the header's
    // and the footer's.
    const container =
      /<table align="center" width="100%"[^>]*style="max-width:600px[^>]*><tbody><tr[^>]*><td([^>]*)>/.exec(
        html,
      );
    expect(container![1]).toContain('padding:0 12px');
    expect(html).toMatch(/<td style="padding:4px 4px 0"><p[^>]*><a[^>]*>Papers Digest<\/a>/);
    expect(html).toMatch(/<td style="padding:8px 4px 0"><p class="pd-m"[^>]*>You are receiving this/);
  });

  it('keeps 600 px in Outlook on Windows (it ignores max-width) with a ghost table, full or empty', async () => {
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    for (const shown of [ranked, ranked.slice(0, 1), []]) {
      const email = await assembleDigest(
        prepared,
        config,
        { subscriber: reader, deliveryId: 'del-14' },
        shown,
      );
      // The HTML as it goes into the request body, not only as the tests read it back.
      const sent = JSON.parse(chunksToString(email.json!.html)) as string;
      expectOutlookGhostTable(sent, 600);
      expectNoMsoInText(email.text);
    }
  });

  it('hides its preview line in Outlook on Windows too, which needs mso-hide beside display:none', async () => {
    const email = await readerDigest('del-15');
    const preheader = /<div data-skip-in-text="true" style="([^"]*)">/.exec(email.html);
    expect(preheader).not.toBeNull();
    for (const hidden of ['display:none', 'mso-hide:all', 'max-height:0', 'opacity:0', 'font-size:1px'])
      expect(preheader![1]).toContain(hidden);
    expect(email.text).not.toContain(' · also: ');
  });

  it('repaints in dark mode every element it paints a background on (Apple Mail, iOS)', async () => {
    const email = await readerDigest('del-13');
    const painted = [...email.html.matchAll(/<[a-z]+\b[^>]*style="[^"]*background-color:[^>]*>/g)].map(
      (m) => m[0],
    );
    expect(painted.length).toBeGreaterThan(20);
    // A light background left behind the dark theme's light text makes it unreadable.
    for (const tag of painted) expect(tag).toMatch(/class="pd-[pc]\b/);
  });

  it('keeps every plain-text line within RFC 5322’s 998 bytes, even for the longest interests', async () => {
    // The most the preferences form accepts: 20 interests of 99 characters, 2,000 in all.
    // The footer named them all on one line of the text part, past the limit SMTP servers
    // enforce by breaking or refusing the line; the full list is on the preferences page.
    const interests = Array.from({ length: 20 }, (_, n) =>
      `interest ${String(n).padStart(2, '0')} ${'about a rather long research topic '.repeat(3)}`.slice(
        0,
        99,
      ),
    ).join(', ');
    const wordy = subscriber('reader-wordy', {
      email: `${'a'.repeat(64)}@${'b'.repeat(60)}.example.org`,
      interests,
    });
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    const recipient = { subscriber: wordy, deliveryId: 'del-wordy' };
    const fast = await assembleDigest(prepared, config, recipient, ranked.slice(0, 5));
    const full = await renderDigestReference(
      config,
      { editionDate: '2026-11-26' },
      recipient,
      ranked.slice(0, 5),
    );
    expect(fast.text).toBe(full.text);
    expect(fast.html).toBe(full.html);
    for (const line of fast.text.split(/\r?\n/))
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(998);
    // The footer still says what the digest follows, and where the rest of it is.
    const text = fast.text.replace(/\s+/g, ' ');
    expect(text).toContain('Your interests: interest 00 about a rather long research topic');
    expect(text).toMatch(/and 1\d more\b/);
  });

  it('spaces its rows of links for fingers: 14 px text, wrapped lines at least 24 px apart', async () => {
    // A phone wraps the footer's links (preferences, unsubscribe, view, feed) and a card's
    // paper links onto a second line: at 12–13 px text and 1.5 line height the rows sat
    // 18–20 px apart, under WCAG 2.5.8's 24 px, so a thumb aimed at "Unsubscribe" could
    // open the link above or below it.
    const email = await readerDigest('del-14');
    const rows = [
      ...email.html.matchAll(/<p\b[^>]*style="([^"]*)"[^>]*>((?:(?!<\/p>)[\s\S])*)<\/p>/g),
    ].filter((match) => (match[2]!.match(/<a\b/g) ?? []).length >= 2);
    // Per card: its paper links and its 👍/👎; then the footer's own links.
    expect(rows).toHaveLength(2 * ranked.length + 1);
    expect(rows.at(-1)![2]).toContain('>Unsubscribe</a>');
    for (const [, style] of rows) {
      const size = Number(/font-size:(\d+)px/.exec(style!)![1]);
      const lineHeight = Number(/line-height:([\d.]+)(?:;|$)/.exec(style!)![1]);
      expect(size, style).toBeGreaterThanOrEqual(14);
      expect(size * lineHeight, style).toBeGreaterThanOrEqual(24);
    }
  });

  it('names the only paper in a one-paper subject', () => {
    expect(subjectFor(ranked.slice(0, 1), '2026-11-26')).toBe(`1 new paper: ${papers[0]!.title}`);
  });

  it('says so in subject and intro when nothing matched and the papers are trending instead', async () => {
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    const trending = ranked.slice(0, 5).map((item) => ({ ...item, why: ['trending: 100 upvotes'] }));
    const recipient = { subscriber: reader, deliveryId: 'del-10', basis: 'trending' as const };
    const email = await assembleDigest(prepared, config, recipient, trending);
    expect(email.subject).toBe(`Nothing on your interests; 5 trending: ${papers[0]!.title} and 4 more`);
    for (const body of [email.html, email.text]) {
      expect(body).toContain('Nothing matched your interests this time: 5 papers trending instead');
      expect(body).not.toContain('picked for you');
    }
    // Without interests (every place trending) the papers are not "picked for you" either.
    const relevant = await assembleDigest(prepared, config, { ...recipient, basis: 'relevant' }, trending);
    expect(relevant.subject).toBe(`5 new papers: ${papers[0]!.title} and 4 more`);
    expect(relevant.html).toContain('5 trending papers');
    expect(relevant.html).not.toContain('picked for you');
  });

  it('counts the trending places that no match filled apart from the papers picked for the interests', async () => {
    const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
    const mixed = ranked.slice(0, 4).map((item, k) => ({
      ...item,
      why:
        k === 0
          ? ['matches “agents”', 'trending: 63 upvotes']
          : k === 1
            ? ['by Yann LeCun']
            : ['trending: 58 upvotes'],
    }));
    const recipient = { subscriber: reader, deliveryId: 'del-11', basis: 'relevant' as const };
    const email = await assembleDigest(prepared, config, recipient, mixed);
    const reference = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, mixed);
    for (const body of [email.html, email.text, reference.html, reference.text]) {
      expect(body).toContain('2 papers on your interests, 2 trending');
      expect(body).not.toContain('picked for you');
    }
    const one = await assembleDigest(prepared, config, recipient, mixed.slice(0, 3));
    expect(one.text).toContain('2 papers on your interests, 1 trending');
    const all = await assembleDigest(prepared, config, recipient, mixed.slice(0, 2));
    expect(all.text).toContain('2 papers picked for you');
  });
});
