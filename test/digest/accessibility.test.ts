/**
 * A guard on what assistive tech and mail clients need of every email we send: the digest
 * (through the fast path, as delivered) and the notice emails (confirm, already
 * subscribed, data links). The document states its language and direction and has a
 * title; every table is a layout table (role="presentation", so screen readers do not
 * announce rows and columns); every image has alt text; and every link of the HTML part
 * is in the plain-text part too, so a reader of the text can do all the HTML offers.
 */
import { describe, expect, it } from 'vitest';
import { longDigest, noticeEmails } from './sample';

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
});
