/**
 * A guard on what assistive tech and mail clients need of every email we send: the digest
 * (through the fast path, as delivered) and the notice emails (confirm, already
 * subscribed, data links). The document states its language and direction and has a
 * title; every table is a layout table (role="presentation", so screen readers do not
 * announce rows and columns); every image has alt text; and every link of the HTML part
 * is in the plain-text part too, so a reader of the text can do all the HTML offers. A
 * paper's own words (title, authors, summary) take their direction from their first
 * letter, so an Arabic or Hebrew title reads right to left in the English email.
 */
import { describe, expect, it } from 'vitest';
import { assembleDigest, prepareEdition } from '../../src/digest';
import type { Paper } from '../../src/domain';
import type { RankedPaper } from '../../src/ranking';
import { makeSubscriber, snapshotPapers } from '../factories';
import { longDigest, noticeEmails, sampleConfig } from './sample';

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#x27;': "'",
  '&lt;': '<',
  '&gt;': '>',
};
const decodeEntities = (value: string) =>
  value.replace(/&(?:amp|quot|#x27|lt|gt);/g, (entity) => ENTITIES[entity]!);

function expectAccessible(email: { html: string; text: string }) {
  const { html, text } = email;
  expect(html).toMatch(/<html [^>]*\blang="en"/);
  expect(html).toMatch(/<html [^>]*\bdir="ltr"/);
  const title = /<title>([^<]*)<\/title>/.exec(html);
  expect(title?.[1]?.trim()).toBeTruthy();
  // Outlook's ghost tables included: they are tables too, to a screen reader in Outlook.
  const tables = html.match(/<table\b[^>]*>/g) ?? [];
  expect(tables.length).toBeGreaterThan(0);
  for (const table of tables) expect(table).toContain('role="presentation"');
  for (const img of html.match(/<img\b[^>]*>/g) ?? []) expect(img).toMatch(/\balt="/);
  const links = [...html.matchAll(/<a\b[^>]*\bhref="([^"]*)"/g)].map((match) => decodeEntities(match[1]!));
  expect(links.length).toBeGreaterThan(0);
  for (const href of links) expect(text, `link ${href} in the text part`).toContain(href);
}

describe('accessibility of the emails we send', () => {
  it('the digest, as delivered', async () => {
    const digest = await longDigest();
    expectAccessible(digest);
    // Each paper: title, arXiv, PDF, HF, code, project, 👍 and 👎.
    expect(digest.html.match(/<a\b/g)!.length).toBeGreaterThanOrEqual(digest.papers * 8);
  });

  it('every notice email', async () => {
    const emails = await noticeEmails();
    expect(emails).toHaveLength(4);
    for (const email of emails) expectAccessible(email);
  });

  it('a paper in Arabic or Hebrew: its title, authors and summary run right to left', async () => {
    const [arabic, hebrew, english] = snapshotPapers().slice(0, 3) as [Paper, Paper, Paper];
    const papers = [
      {
        ...arabic,
        title: 'نماذج اللغة الكبيرة للترجمة الآلية',
        aiSummary: 'نقدم نموذجًا جديدًا للترجمة.',
        authors: ['محمد علي'],
      },
      {
        ...hebrew,
        title: 'מודלי שפה גדולים בעברית',
        aiSummary: 'אנו מציגים מודל חדש.',
        authors: ['מרים כהן'],
      },
      { ...english, title: 'Large language models for translation', aiSummary: 'We present a new model.' },
    ];
    const prepared = await prepareEdition(sampleConfig, { editionDate: '2026-11-26', papers });
    const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why: ['trending'] }));
    const digest = await assembleDigest(
      prepared,
      sampleConfig,
      { subscriber: makeSubscriber({ id: 'rtl-reader' }), deliveryId: 'rtl' },
      ranked,
    );
    // The email stays English (left to right); each block of a paper's words decides its own
    // direction (dir="auto": from its first strong letter), the English paper's too.
    expect(digest.html).toMatch(/<html [^>]*\bdir="ltr"/);
    for (const paper of papers) {
      const title = paper.title.slice(0, 15);
      expect(digest.html).toMatch(new RegExp(`<h2 dir="auto"[^>]*><a [^>]*>\\n?${title}`));
      expect(digest.html).toMatch(new RegExp(`<p dir="auto"[^>]*>\\n?${paper.aiSummary!.slice(0, 10)}`));
      expect(digest.html).toMatch(new RegExp(`<span dir="auto">${paper.authors[0]}`));
    }
    // The plain text has no markup for direction: each paragraph is its own, and clients
    // take its direction from its first letter.
    expect(digest.text).toContain(`\n\n${papers[0]!.title} https://`);
  });
});
