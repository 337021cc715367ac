/**
 * The digest's headings: the date is the one <h1> and each paper title an <h2>, so screen
 * readers can list and jump between papers, with their size, weight, spacing and line
 * height inline (clients' default heading styles would otherwise enlarge them). The
 * plain-text part must read exactly as it did when these were paragraphs: html-to-text
 * would upper-case headings and put extra blank lines above them.
 */
import { toPlainText } from '@react-email/render';
import { describe, expect, it } from 'vitest';
import { wrapText } from '../../emails/_components/wrap';
import { longDigest } from './sample';

const headings = (html: string, tag: string) =>
  [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => ({
    attributes: match[1]!,
    inner: match[2]!,
  }));

/** The markup as it was before the headings: the same elements as paragraphs. */
const asParagraphs = (html: string) => html.replace(/<(\/?)h[12]\b/g, '<$1p');

describe('digest headings', () => {
  it('the date is the one h1 and every paper title an h2, styled inline', async () => {
    const digest = await longDigest();
    const [h1, ...moreH1] = headings(digest.html, 'h1');
    expect(moreH1).toHaveLength(0);
    expect(h1!.inner).toBe('Thursday, 26 November 2026');
    const h2s = headings(digest.html, 'h2');
    expect(digest.papers).toBeGreaterThan(10);
    expect(h2s).toHaveLength(digest.papers);
    for (const heading of [h1!, ...h2s]) {
      for (const property of ['margin:', 'font-size:', 'line-height:', 'font-weight:']) {
        expect(heading.attributes).toContain(property);
      }
    }
    for (const heading of h2s)
      expect(heading.inner).toMatch(/^<a class="pd-t" href="https:\/\/[^"]+"[^>]*>[^<]+<\/a>$/);
    // Outlook on Windows takes a heading's font from its own styles unless told.
    expect(digest.html).toMatch(/td, p, a, h1, h2 \{ font-family:/);
  });

  it('the plain-text part is what it was with paragraphs: not upper-cased, not re-spaced', async () => {
    const digest = await longDigest();
    // Wrapped at 78 characters, as every text part is (text-lines.test.ts).
    expect(digest.text).toBe(wrapText(toPlainText(asParagraphs(digest.html))));
    expect(digest.text).toContain('\nThursday, 26 November 2026\n');
    expect(digest.text).not.toContain('THURSDAY');
  });
});
