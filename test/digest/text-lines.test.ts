/**
 * The digest's plain-text part at 78 characters a line (RFC 5322 2.1.1), as the notice
 * emails' already is (emails/_components/wrap.ts): what mutt, a watch or a screen reader
 * shows of the digest. Long titles, summaries, author lists, why lines, interests and link
 * rows are broken at their spaces (Chinese and Japanese between characters); a URL stands
 * whole, on a line of its own when it is longer than one. The fast path makes the same
 * text as the React render, for subscribers whose link tokens differ in length too.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { wrapLine } from '../../emails/_components/wrap';
import { assembleDigest, prepareEdition, renderDigestReference } from '../../src/digest';
import { LAYOUT_SLOTS } from '../../src/digest/prepare';
import { slot } from '../../src/digest/template';
import { type HoleKind, LayoutLine } from '../../src/digest/text-lines';
import type { Paper, Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { emailText } from '../../src/lib/email-html';
import { asciiJsonInner } from '../../src/lib/json';
import type { RankedPaper } from '../../src/ranking';
import { makeSubscriber, seededRandom, snapshotPapers } from '../factories';
import { longDigest, sampleConfig } from './sample';

const chars = (line: string) => [...line].length;
const words = (text: string) => text.split(/\s+/).filter(Boolean);

/**
 * Checks the text part of a digest against its HTML: lines of at most 78 characters but
 * for a single word (a URL) that cannot be broken; every link of the HTML whole in it; and
 * nothing but line breaks added to html-to-text's conversion of the HTML.
 */
function expectWrapped(digest: { html: string; text: string }, { wide = false } = {}) {
  const lines = digest.text.split('\n');
  for (const line of lines) {
    if (chars(line) > 78) expect(line, 'a long line that could be broken').not.toMatch(/\s/);
  }
  const hrefs = [...digest.html.matchAll(/href="([^"]+)"/g)].map(([, href]) =>
    href!.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#x27;', "'"),
  );
  expect(hrefs.length).toBeGreaterThan(3);
  const sent = words(digest.text);
  for (const href of hrefs) expect(sent).toContain(href);
  const converted = emailText(digest.html);
  if (wide) {
    // Chinese and Japanese break between characters: compare without the whitespace.
    expect(digest.text.replace(/\s+/g, '')).toBe(converted.replace(/\s+/g, ''));
  } else {
    expect(sent).toEqual(words(converted));
  }
  // The wrap did something: the conversion has lines past 78 that could be broken.
  expect(converted.split('\n').some((line) => chars(line) > 78 && /\s/.test(line))).toBe(true);
}

/** The digest through the fast path, checked identical to the React render. */
async function bothPaths(
  papers: Paper[],
  reader: Subscriber,
  ranked: RankedPaper[],
  { config = sampleConfig, deliveryIds = [`${reader.id}-delivery`] } = {},
) {
  const prepared = await prepareEdition(config, { editionDate: '2026-11-26', papers });
  const digests = [];
  for (const deliveryId of deliveryIds) {
    const recipient = { subscriber: reader, deliveryId };
    const digest = await assembleDigest(prepared, config, recipient, ranked);
    const reference = await renderDigestReference(config, { editionDate: '2026-11-26' }, recipient, ranked);
    expect(digest.html).toBe(reference.html);
    expect(digest.text).toBe(reference.text);
    digests.push(digest);
  }
  return digests;
}

const longWhy = [
  'matches “reinforcement learning from human feedback for large language models”',
  'by Zoë Author-0-0 O’Müller and Ada Lovelace',
  'trending: 120 upvotes',
];

describe('the digest text part, wrapped at 78 characters', () => {
  it('a 20-paper digest with long titles, abstracts, authors, links, why lines and interests', async () => {
    const digest = await longDigest();
    expectWrapped(digest);
    // The title's URL follows it, whole.
    expect(digest.text).toMatch(/\nhttps:\/\/huggingface\.co\/papers\/2411\.10000\n/);
    // The footer's rows are broken between their links, not inside one.
    expect(digest.text).toMatch(
      /\nChange interests and schedule\nhttps:\/\/digest\.test\/preferences\?token=\S+\n/,
    );
  });

  it('long why lines and a long address, for two digest tokens of different lengths', async () => {
    const papers = snapshotPapers().slice(0, 6);
    const reader = makeSubscriber({
      id: 'why-reader',
      email: `${'a-very-long-local-part.'.repeat(2)}reader@example.org`,
      interests: 'reinforcement learning from human feedback for large language models, diffusion',
    });
    const ranked: RankedPaper[] = papers.map((paper, position) => ({
      paper,
      score: 1,
      why: position % 2 ? longWhy : longWhy.slice(0, 1),
    }));
    // A delivery's id is in its token: the 👍/👎 links of one edition differ in length.
    const [short, long] = await bothPaths(papers, reader, ranked, {
      deliveryIds: ['d', `daily-2026-11-26-${'0123456789abcdef'.repeat(2)}`],
    });
    for (const digest of [short!, long!]) expectWrapped(digest);
    expect(short!.text).toContain(
      '\nWhy: matches “reinforcement learning from human feedback for large language\nmodels”',
    );
  });

  it('a digest in Japanese and Chinese: titles, summaries and interests broken between characters', async () => {
    const japanese = '大規模言語モデルの強化学習による推論能力の向上と評価、';
    const chinese = '基于大语言模型的多模态推理与规划方法研究。';
    const papers = snapshotPapers()
      .slice(0, 4)
      .map((paper, position) => ({
        ...paper,
        title: `${(position % 2 ? chinese : japanese).repeat(6)} ${position}`,
        abstract: `${japanese.repeat(20)}。`,
        aiSummary: null,
        authors: ['山田 太郎', '李 小龍', 'מרים כהן', 'محمد علي'],
      }));
    const reader = makeSubscriber({
      id: 'japanese-reader',
      interests: Array.from({ length: 12 }, (_, n) => `大規模言語モデルの推論と評価${n}`).join('、, '),
    });
    const ranked: RankedPaper[] = papers.map((paper) => ({
      paper,
      score: 1,
      why: [`matches “${japanese.repeat(4)}”`],
    }));
    const [digest] = await bothPaths(papers, reader, ranked);
    expectWrapped(digest!, { wide: true });
    // No line starts with closing punctuation.
    for (const line of digest!.text.split('\n')) expect(line).not.toMatch(/^[、。」]/);
  });

  it('an empty digest, and a long PUBLIC_URL', async () => {
    const config = parseConfig({
      ...env,
      PUBLIC_URL: `https://papers-digest.${'a-research-group-'.repeat(3)}example.workers.dev`,
      POSTAL_ADDRESS: 'Papers Digest & Co, 1 Example Street, "Example" City, Example County, EX1 2MP',
    });
    const reader = makeSubscriber({ id: 'empty-reader', interests: 'x '.repeat(60).trim() });
    const [empty] = await bothPaths(snapshotPapers().slice(0, 2), reader, [], { config });
    expectWrapped(empty!);
    const papers = snapshotPapers().slice(0, 3);
    const ranked = papers.map((paper) => ({ paper, score: 1, why: longWhy }));
    const [full] = await bothPaths(papers, reader, ranked, { config });
    expectWrapped(full!);
  });
});

describe('a layout line wrapped once per lengths of its words', () => {
  it('fills as the line filled and then wrapped, for 2,000 random addresses, tokens and counts', () => {
    const marker = 'PDSLOTtestmarker';
    const hole = (name: string) => slot(marker, name);
    const kinds: HoleKind[] = LAYOUT_SLOTS.map((name) =>
      name === 'countLabel' ? 'label' : name === 'preheader' || name === 'interestsLabel' ? 'prose' : 'word',
    );
    const line = new LayoutLine(
      `${hole('countLabel')} for ${hole('recipientEmail')} · Unsubscribe https://d.test/u?token=${hole('unsubscribeToken')} · Preferences https://d.test/p?token=${hole('preferencesToken')} · View https://d.test/v/${hole('digestToken')}`,
      marker,
      LAYOUT_SLOTS,
      kinds,
    );
    const random = seededRandom(7);
    const word = (chars: number) =>
      Array.from({ length: chars }, () => 'abcXYZ019-_.'[Math.floor(random() * 12)]).join('');
    const breaks = new Set<string>();
    for (let run = 0; run < 2_000; run++) {
      const email = `${word(1 + Math.floor(random() * 60))}@${random() < 0.1 ? 'exämple' : 'example'}.org`;
      const values = [
        '',
        pick(random, [
          '15 papers picked for you',
          '1 paper picked for you',
          '3 papers on your interests, 12 trending',
        ]),
        email,
        '',
        word(Math.floor(random() * 90)),
        word(Math.floor(random() * 90)),
        word(Math.floor(random() * 90)),
        word(10),
      ];
      const words = values.map((value, index) => (kinds[index] === 'word' ? asciiJsonInner(value) : ''));
      const filled = `${values[1]} for ${values[2]} · Unsubscribe https://d.test/u?token=${values[4]} · Preferences https://d.test/p?token=${values[5]} · View https://d.test/v/${values[6]}`;
      const made = line.json(values, words);
      expect(made).toBe(asciiJsonInner(wrapLine(filled)));
      breaks.add(
        made
          .split('\\n')
          .map((piece) => piece.length)
          .join(),
      );
    }
    // The lengths moved the breaks: many different shapes, each still as wrapLine makes it.
    expect(breaks.size).toBeGreaterThan(50);
  });
});

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
