/**
 * The Atom feed builder on its own: whatever the papers and subjects contain (markup,
 * entities, quotes, CDATA terminators, control characters a title scraped from upstream
 * may carry), the output must stay well-formed Atom a feed reader accepts, show the text
 * as written, and never let markup through unescaped. The route and D1 side is covered
 * in routes.test.ts.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type AtomFeedInput, buildAtomFeed, xmlText } from '../../src/digest/feed';
import { makePaper } from '../ranking/make-paper';

const HOSTILE = 'Q&A <script>alert("x")</script> ]]> it\'s \u0001\u000b\ufffe\ud800 done';

function feed(overrides: Partial<AtomFeedInput> = {}): AtomFeedInput {
  return {
    subscriberId: 'sub-1',
    selfUrl: 'https://digest.test/feed?token=a.b&x=1',
    siteUrl: 'https://digest.test',
    updated: '2026-11-26T08:01:00.000Z',
    entries: [
      {
        id: 'del-2',
        title: `2 new papers: ${HOSTILE}`,
        sentAt: '2026-11-26T08:01:00.000Z',
        link: 'https://digest.test/digest?token=t.2&a=<b>',
        papers: [
          {
            paper: makePaper({
              id: '2605.03849',
              title: HOSTILE,
              abstract: 'An abstract with <b>markup</b> & "quotes".',
              authors: ["Ann <O'Neil>", 'Bob & Co', 'Cy', 'Di'],
            }),
            score: 1,
            why: ['matches “<video>”'],
          },
          { paper: makePaper({ id: '2605.05185', title: 'OpenSearch-VL' }), score: 0.5, why: [] },
        ],
      },
      {
        id: 'del-1',
        title: '1 new paper: Plain',
        sentAt: '2026-11-25T08:01:00.000Z',
        link: 'https://digest.test/digest?token=t.1',
        papers: [],
      },
    ],
    ...overrides,
  };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('buildAtomFeed', () => {
  it('is well-formed XML without characters XML forbids, even with hostile titles', () => {
    const xml = buildAtomFeed(feed());
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(NOT_XML);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain(']]>');
  });

  it('has what Atom requires: namespace, ids, titles, RFC 3339 times, author, self link', () => {
    const doc = parser.parse(buildAtomFeed(feed())).feed;
    expect(doc['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(doc.id).toBe('urn:papers-digest:feed:sub-1');
    expect(doc.title).toBeTruthy();
    expect(doc.updated).toMatch(RFC3339);
    expect(doc.author.name).toBe('Papers Digest');
    const self = doc.link.find((link: Record<string, string>) => link['@rel'] === 'self');
    expect(self['@href']).toBe('https://digest.test/feed?token=a.b&x=1');
    expect(doc.entry.map((entry: { id: string }) => entry.id)).toEqual([
      'urn:papers-digest:delivery:del-2',
      'urn:papers-digest:delivery:del-1',
    ]);
    for (const entry of doc.entry) {
      expect(entry.updated).toMatch(RFC3339);
      expect(entry.title).toBeTruthy();
      expect(entry.link['@rel']).toBe('alternate');
    }
  });

  it('shows hostile text as written (minus forbidden characters) and keeps markup escaped in the content', () => {
    const doc = parser.parse(buildAtomFeed(feed())).feed;
    const visible = 'Q&A <script>alert("x")</script> ]]> it\'s done';
    expect(doc.entry[0].title).toBe(`2 new papers: ${visible}`);
    expect(doc.entry[0].link['@href']).toBe('https://digest.test/digest?token=t.2&a=<b>');
    // type="html": after XML decoding the content is HTML, in which the title is still escaped.
    const html: string = doc.entry[0].content['#text'];
    expect(html).toContain('<strong>Q&amp;A &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Ann &lt;O&apos;Neil&gt;, Bob &amp; Co, Cy et al.');
    expect(html).toContain('<em>Why: matches “&lt;video&gt;”</em>');
    expect(html).toContain('href="https://huggingface.co/papers/2605.03849"');
    expect(doc.entry[0].summary).toBe(`${visible} · OpenSearch-VL`);
  });

  it('without digests is a valid feed with no entries, updated at the given time', () => {
    const xml = buildAtomFeed(feed({ entries: [], updated: '2026-11-01T00:00:00.000Z' }));
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml).feed;
    expect(doc.entry).toBeUndefined();
    expect(doc.updated).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('xmlText', () => {
  it('escapes the five XML specials and drops what XML 1.0 forbids, keeping astral characters', () => {
    expect(xmlText(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(xmlText('x\u0000y\u001fz\ud83dw\ufffe')).toBe('xyzw');
    expect(xmlText('tab\tnew\nline 👍 𝔸')).toBe('tab\tnew\nline 👍 𝔸');
  });
});
