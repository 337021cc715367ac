/**
 * SMTP allows 998 bytes a line (RFC 5322 2.1.1): a mail server folds a longer line where
 * it reaches the limit, mid-tag or mid-URL, and the markup arrives broken. React renders a
 * document as one line, so every email we send breaks its HTML after block-level closing
 * tags; this holds the line lengths (in UTF-8 bytes) under the limit for the longest
 * realistic content, and the plain text and the markup's size as they were.
 */
import { describe, expect, it } from 'vitest';
import { renderDigestReference } from '../../src/digest';
import { longDigest, longPapers, noticeEmails, sampleConfig } from './sample';

const utf8 = new TextEncoder();
const longestLine = (html: string) =>
  Math.max(...html.split(/\r?\n/).map((line) => utf8.encode(line).length));

describe('HTML line length', () => {
  it('a 20-paper digest with long titles, abstracts, authors, links and interests', async () => {
    const digest = await longDigest();
    expect(digest.papers).toBe(longPapers().length);
    expect(utf8.encode(digest.html).length).toBeGreaterThan(50_000);
    expect(longestLine(digest.html)).toBeLessThanOrEqual(998);
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
    // Nothing but a newline after a closing tag was added: no tag or text is split.
    expect(digest.html.replace(/<style>[\s\S]*?<\/style>/, '')).not.toMatch(/[^>]\n/);
  });

  it('every notice email', async () => {
    for (const email of await noticeEmails()) {
      expect(email.html.length).toBeGreaterThan(3_000);
      expect(longestLine(email.html)).toBeLessThanOrEqual(998);
    }
  });
});
