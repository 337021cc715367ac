/**
 * What third parties write (a paper's title, summary and authors on arXiv and Hugging
 * Face) as the digest shows it, in its HTML, its plain text and its subject, through the
 * fast path and the React render alike: text only, never markup, and never the Unicode
 * controls that reorder what follows them on screen (an override U+202E shows
 * "https://example.org/gpj.exe" as "exe.jpg/…" and turns a link's URL around in the text
 * part, where the title and its URL share a line).
 */
import { describe, expect, it } from 'vitest';
import type { Paper } from '../../src/domain';
import { makeSubscriber, snapshotPapers } from '../factories';
import { checkedDigest } from './sample';

/** Embeddings, overrides and isolates (Unicode's bidi controls with a scope). */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

const digestOf = (papers: Paper[], why: string[]) =>
  checkedDigest(papers, makeSubscriber({ id: 'safety-reader' }), why);

describe('third-party text in the digest', () => {
  it('drops bidi overrides, embeddings and isolates from titles, summaries and authors', async () => {
    const [first, second] = snapshotPapers() as [Paper, Paper];
    const papers = [
      {
        ...first,
        title: `Read me \u202Eexe.gpj\u202C and \u2067more\u2069 \u202Bembedded`,
        aiSummary: `A summary \u202Dforced\u202C \u2066isolated \u2068first`,
        authors: ['Eve \u202Eevil\u202C Author', 'Mallory \u202A\u202B'],
      },
      { ...second, title: `\u202E${second.title}`, aiSummary: null, abstract: `\u2067${second.abstract}` },
    ];
    const email = await digestOf(papers, ['by Eve \u202Eevil Author', 'matches “\u2066agents”']);
    for (const part of [email.html, email.text, email.subject]) expect(part).not.toMatch(BIDI_CONTROLS);
    // The words are all there, only the controls are gone (the text part's lines wrapped at
    // 78 characters: read as one).
    const text = email.text.replace(/\s+/g, ' ');
    expect(text).toContain('Read me exe.gpj and more embedded https://');
    expect(text).toContain('A summary forced isolated first');
    expect(text).toContain('Eve evil Author, Mallory');
    expect(text).toContain('Why: by Eve evil Author · matches “agents”');
    expect(email.subject).toBe('2 new papers: Read me exe.gpj and more embedded and 1 more');
    // Right-to-left text itself is kept: its letters carry their own direction.
    expect(text).toContain(second.title);
  });

  it('shows markup in titles, summaries and authors as text, in both parts', async () => {
    const [paper] = snapshotPapers() as [Paper];
    const hostile = {
      ...paper,
      title: `<img src="https://tracker.example/p.gif"> "><a href="javascript:alert(1)">x</a>`,
      aiSummary: `<script>alert(1)</script> <style>*{display:none}</style> &lt;b&gt;`,
      authors: [`<img src=x onerror=alert(1)>`, `" onmouseover="alert(1)`],
    };
    const email = await digestOf([hostile], ['trending']);
    // No tag of theirs, and no attribute of theirs in a tag of ours.
    expect(email.html).not.toMatch(/<(img|script)\b|<style>\*|href="javascript/i);
    expect(email.html).not.toMatch(/<[^>]*\s(onerror|onmouseover)=/i);
    expect(email.html).toContain('&lt;img src=&quot;https://tracker.example/p.gif&quot;&gt;');
    expect(email.html).toContain('&amp;lt;b&amp;gt;');
    // Only our own links: https, and none of them to the tracker.
    for (const [, href] of email.html.matchAll(/href="([^"]*)"/g))
      expect(href).toMatch(/^https:\/\/(?!tracker)/);
    expect(email.html).not.toMatch(/src=["']?https?:/);
    expect(email.text).toContain('<script>alert(1)</script>');
  });
});
