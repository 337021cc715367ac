/**
 * SMTP allows 998 bytes a line (RFC 5322 2.1.1): a mail server folds a longer line where
 * it reaches the limit, mid-tag or mid-URL, and the markup arrives broken. React renders a
 * document as one line, so every email we send breaks its HTML after block-level closing
 * tags; this holds the line lengths (in UTF-8 bytes) under the limit for the longest
 * realistic content, in English and in scripts of three bytes a character (CJK), in the
 * HTML and the plain text, and the plain text and the markup's size as they were.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { wrapText } from '../../emails/_components/wrap';
import { assembleDigest, prepareEdition, renderDigestReference } from '../../src/digest';
import type { Paper, Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { emailText } from '../../src/lib/email-html';
import type { RankedPaper } from '../../src/ranking';
import { makeSubscriber, snapshotPapers } from '../factories';
import { longDigest, longPapers, noticeEmails, sampleConfig } from './sample';

const utf8 = new TextEncoder();

/**
 * The text part before its wrap at 78 characters (text-lines.test.ts): html-to-text's
 * conversion of the HTML, whose lines these tests read; the text sent is it, wrapped.
 */
function unwrapped(digest: { html: string; text: string }): string {
  const text = emailText(digest.html);
  expect(digest.text).toBe(wrapText(text));
  return text;
}

const longestLine = (html: string) =>
  Math.max(...html.split(/\r?\n/).map((line) => utf8.encode(line).length));

/**
 * The digest of `papers` for `subscriber` through the fast path, checked: no line of its
 * HTML or text over 998 bytes, and byte-identical to the React render of the same digest.
 */
async function shortLinedDigest(
  papers: Paper[],
  subscriber: Subscriber,
  ranked: RankedPaper[],
  { config = sampleConfig, deliveryId = `${subscriber.id}-delivery` } = {},
) {
  const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
  const recipient = { subscriber, deliveryId };
  const digest = await assembleDigest(prepared, config, recipient, ranked);
  expect(longestLine(digest.html)).toBeLessThanOrEqual(998);
  expect(longestLine(digest.text)).toBeLessThanOrEqual(998);
  const reference = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
  expect(reference.html).toBe(digest.html);
  expect(reference.text).toBe(digest.text);
  return digest;
}

describe('HTML line length', () => {
  it('a 20-paper digest with long titles, abstracts, authors, links and interests', async () => {
    const digest = await longDigest();
    expect(digest.papers).toBe(longPapers().length);
    expect(utf8.encode(digest.html).length).toBeGreaterThan(50_000);
    expect(longestLine(digest.html)).toBeLessThanOrEqual(998);
    expect(longestLine(digest.text)).toBeLessThanOrEqual(998);
    // A newline per block, no more: the lines are many but the size barely grows.
    const lines = digest.html.split('\n').length;
    expect(lines).toBeGreaterThan(digest.papers * 6);
    expect(lines).toBeLessThan(utf8.encode(digest.html).length / 100);
  });

  it('the breaks are whitespace between blocks: the text part and the markup are as without them', async () => {
    const digest = await longDigest();
    // The reference renders its text from the React tree, which has no breaks.
    const reference = await renderDigestReference(
      sampleConfig,
      { editionDate: '2026-11-26' },
      { subscriber: digest.subscriber, deliveryId: 'sample-delivery' },
      digest.ranked,
    );
    expect(reference.text).toBe(digest.text);
    expect(reference.html).toBe(digest.html);
    // Newlines stand after a tag or for the space after a dot between links: no tag or word is split.
    expect(digest.html.replace(/<style>[\s\S]*?<\/style>/, '')).not.toMatch(/(?<!>| ·)\n/);
  });

  it('a digest in Japanese: titles, abstracts and interests of three bytes a character', async () => {
    // 320 characters of abstract are 960 bytes in Japanese or Chinese, and the footer names
    // up to 300 characters of interests after the address: each one line, in the text part
    // and (with its opening tags) in the HTML, took these lines past 998 bytes.
    const japanese = '大規模言語モデルの強化学習による推論能力の向上と評価';
    const papers = snapshotPapers()
      .slice(0, 6)
      .map((paper, position) => ({
        ...paper,
        title: `${japanese.repeat(6)} 🚀 ${position}`,
        abstract: `${japanese.repeat(30)}。`,
        aiSummary: null,
        authors: ['山田 太郎', '李 小龍', 'מרים כהן', 'محمد علي'],
      }));
    const reader = makeSubscriber({
      id: 'japanese-reader',
      email: `${'k'.repeat(64)}@${'mail.'.repeat(30)}example.jp`,
      interests: Array.from({ length: 30 }, (_, n) => `大規模言語モデルの推論と評価${n}`).join('、, '),
    });
    const ranked: RankedPaper[] = papers.map((paper) => ({
      paper,
      score: 1,
      why: [`matches “${japanese}”`],
    }));
    const digest = await shortLinedDigest(papers, reader, ranked);
    expect(digest.papers).toBe(papers.length);
    expect(unwrapped(digest)).toContain(japanese.repeat(12));
    expect(unwrapped(digest)).toMatch(/大規模言語モデルの推論と評価0、, 大規模言語モデルの推論と評価1、/);
  });

  it('a long title in Japanese, and interests quoted in Japanese', async () => {
    // Each was one line with the markup before it: a title's line starts with the card's
    // table, cell, heading and link tags (~450 bytes), so 250 characters of Japanese (750
    // bytes) passed 998; and the footer's 300 characters of interests are 900 bytes in
    // Japanese before their quotes, which HTML escapes to six bytes each.
    const japanese = '大規模言語モデルの強化学習による推論能力の向上と評価';
    const title = `${japanese.repeat(10)}`.slice(0, 250);
    const papers = snapshotPapers()
      .slice(0, 3)
      .map((paper, position) => ({ ...paper, title: `${title}${position}` }));
    const reader = makeSubscriber({
      id: 'quoting-reader',
      interests: Array.from({ length: 30 }, (_, n) => `"大規模言語モデルの推論${n}"`).join(', '),
    });
    const ranked: RankedPaper[] = papers.map((paper) => ({
      paper,
      score: 1,
      why: [`matches “${japanese}”`, 'trending: 120 upvotes'],
    }));
    const digest = await shortLinedDigest(papers, reader, ranked);
    expect(digest.html).toContain(`${title}0`);
    expect(digest.html).toContain('&quot;大規模言語モデルの推論0&quot;, &quot;大規模言語モデルの推論1&quot;');
    // The text part reads as before (but for its wrap): the title and the interests each on one line.
    expect(unwrapped(digest)).toContain(`\n\n${title}0 https://`);
    expect(unwrapped(digest)).toMatch(
      /\nYour interests: "大規模言語モデルの推論0", "大規模言語モデルの推論1", .+ and \d+ more\n/,
    );
  });

  it('a title of Chinese with no space to fold at, longer than any arXiv title', async () => {
    // Folding needs a space; Chinese has none. 400 characters are 1,200 bytes on the
    // title's line: the card shows the first 300 (900 bytes) and an ellipsis.
    const chinese = '基于大语言模型的多模态推理与规划方法研究';
    const title = chinese.repeat(20).slice(0, 400);
    const [paper] = snapshotPapers() as [Paper];
    const reader = makeSubscriber({ id: 'chinese-reader' });
    const digest = await shortLinedDigest([{ ...paper, title }], reader, [
      { paper: { ...paper, title }, score: 1, why: ['trending'] },
    ]);
    expect(digest.html).toContain(`${title.slice(0, 299)}…</a>`);
    expect(unwrapped(digest)).toContain(`${title.slice(0, 299)}… https://`);
  });

  it("the footer's account links, for a site on a long domain and ids as long as real ones", async () => {
    // The four signed links (preferences, unsubscribe, view, feed) were one line: each
    // names the site, three carry the subscriber's id and one the delivery's, and with
    // UUIDs and a 47-character PUBLIC_URL the line passed 998 bytes.
    const config = parseConfig({ ...env, PUBLIC_URL: 'https://papers-digest.cs.example-university.edu' });
    // Every line holds for the longest host the notice emails are checked with too (the
    // 👍/👎 line has two signed links, the header one).
    const longHost = `papers-digest.${'a-research-group-'.repeat(5)}example.workers.dev`;
    const papers = snapshotPapers().slice(0, 2);
    const reader = makeSubscriber({ id: '8c0d5d0e-4f0b-4c1e-9d7a-2b6f3e1a9c44' });
    const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why: ['trending'] }));
    const deliveryId = 'daily-2026-11-26-3f2a9b1c-5e7d-4a8b-9c0d-1e2f3a4b5c6d';
    const digest = await shortLinedDigest(papers, reader, ranked, { config, deliveryId });
    const longConfig = parseConfig({ ...env, PUBLIC_URL: `https://${longHost}` });
    await shortLinedDigest(papers, reader, ranked, { config: longConfig, deliveryId });
    // Two rows to read, in the email and in its text part: the account's links, the digest's.
    expect(unwrapped(digest)).toMatch(
      /\nChange interests and schedule https:\S+ · Unsubscribe https:\S+\nView in browser https:\S+ · Private Atom feed https:\S+\n/,
    );
    expect(digest.html).toMatch(/>Unsubscribe<\/a><br\/>\n<a /);
  });

  it('a card whose code and project links are long URLs', async () => {
    // Hugging Face takes a paper's project page and repository as their authors type them
    // (a shared document's link, a query string): all of a card's links were one line.
    const papers = snapshotPapers()
      .slice(0, 3)
      .map((paper) => ({
        ...paper,
        links: {
          ...paper.links,
          code: `https://github.com/an-organisation/${'a-long-repository-name-'.repeat(10)}`,
          project: `https://docs.example.com/document/d/${'x'.repeat(300)}/edit?usp=sharing&${'p=1&'.repeat(40)}`,
        },
      }));
    const reader = makeSubscriber({ id: 'link-reader' });
    const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why: ['trending'] }));
    const prepared = await prepareEdition(sampleConfig, { editionDate: '2026-11-26', papers });
    const digest = await assembleDigest(
      prepared,
      sampleConfig,
      { subscriber: reader, deliveryId: 'd' },
      ranked,
    );
    expect(digest.html).toContain(`href="${papers[0]!.links.project!.replaceAll('&', '&amp;')}"`);
    expect(longestLine(digest.html)).toBeLessThanOrEqual(998);
    expect(longestLine(digest.text)).toBeLessThanOrEqual(998);
    // The links still read as one row, in the HTML and in the text part.
    expect(unwrapped(digest)).toContain(
      ` · Code ${papers[0]!.links.code} · Project page ${papers[0]!.links.project} · `,
    );
  });

  it('a paper whose claimant typed links too long for a line: those are left out', async () => {
    // Whoever claims a paper on Hugging Face types its repository and project page, of any
    // length. A URL cannot be folded: one of 1,200 characters was a line of its own past
    // 998 bytes, one full of "&" (five bytes each in HTML) too, and two of 500 made the
    // text part's row of links one line past it.
    const [huge, pair, ampersands] = snapshotPapers().slice(0, 3) as [Paper, Paper, Paper];
    const code = `https://github.com/an-organisation/${'r'.repeat(465)}`;
    const project = `https://example.org/${'p'.repeat(480)}`;
    const papers = [
      { ...huge, links: { ...huge.links, code, project: `https://example.org/${'x'.repeat(1200)}` } },
      { ...pair, links: { ...pair.links, code, project } },
      {
        ...ampersands,
        links: { ...ampersands.links, code: null, project: `https://example.org/?${'a&'.repeat(200)}` },
      },
    ];
    const reader = makeSubscriber({ id: 'claimant-reader' });
    const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why: ['trending'] }));
    const digest = await shortLinedDigest(papers, reader, ranked);
    const [first, second, third] = unwrapped(digest)
      .split('\n')
      .filter((line) => line.startsWith('arXiv '));
    // The repository stays; the project page that would not fit is left out, not cut.
    expect(first).toContain(` · Code ${code} · Hugging Face `);
    expect(second).toContain(` · Code ${code} · Hugging Face `);
    expect(third).not.toContain('Project page');
    expect(digest.html).not.toContain('Project page');
    // The paper's other links are all there.
    for (const paper of papers) expect(digest.html).toContain(`href="${paper.links.pdf}"`);
  });

  it('every notice email', async () => {
    for (const email of await noticeEmails()) {
      expect(email.html.length).toBeGreaterThan(3_000);
      expect(longestLine(email.html)).toBeLessThanOrEqual(998);
    }
  });
});
