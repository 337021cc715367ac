/**
 * A realistic worst case of the digest for the tests of what mail clients and assistive
 * tech get: 20 real papers (the snapshot's titles and abstracts) made as long as the
 * digest lets them be (long titles with markup characters, many authors, every link, long
 * code and project URLs, trimmed abstracts) for a subscriber with a long address and
 * interests, rendered through the real fast path, as the delivery consumer sends it; and
 * the short notice emails (confirm, already subscribed, data links) as they are sent.
 */
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { assembleDigest, type DigestEmail, prepareEdition, renderDigestReference } from '../../src/digest';
import type { Paper, Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import type { RankedPaper } from '../../src/ranking';
import { buildDataLinkEmail, buildSignupEmail } from '../../src/subscriptions/emails';
import { makeSubscriber, snapshotPapers } from '../factories';

export const sampleConfig = parseConfig({
  ...env,
  POSTAL_ADDRESS: 'Papers Digest & Co, 1 Example Street, "Example" City, Example County, EX1 2MP',
});

export function longPapers(count = 20): Paper[] {
  return snapshotPapers()
    .slice(0, count)
    .map((paper, position) => ({
      ...paper,
      title: `${paper.title} & <Q&A> ${'with a rather long subtitle '.repeat(4)}`.trim(),
      abstract: `${paper.abstract} ${paper.abstract} "quoted" & <tagged>`,
      aiSummary: null,
      authors: Array.from({ length: 30 }, (_, n) => `Zoë Author-${position}-${n} O'Müller`),
      upvotes: 100 + position,
      numComments: 12,
      githubStars: 12_345,
      links: {
        ...paper.links,
        code: `https://github.com/an-organisation-with-a-long-name/${'repository-'.repeat(8)}${position}?tab=readme&x=1`,
        project: `https://example.org/projects/${'deep/'.repeat(12)}${paper.id}?utm_source=x&y="z"`,
      },
    }));
}

/** The 20-paper digest through prepareEdition + assembleDigest, with its subscriber and papers. */
export async function longDigest(): Promise<DigestEmail & { subscriber: Subscriber; ranked: RankedPaper[] }> {
  const papers = longPapers();
  const prepared = await prepareEdition(sampleConfig, { editionDate: '2026-11-26', papers });
  const reader = longReader();
  const ranked: RankedPaper[] = papers.map((paper) => ({
    paper,
    score: 1,
    why: ['matches “interest number 1 & "more"”', 'by Zoë Author-0-0 O’Müller', 'trending: 120 upvotes'],
  }));
  const email = await assembleDigest(
    prepared,
    sampleConfig,
    { subscriber: reader, deliveryId: 'sample-delivery' },
    ranked,
  );
  return { ...email, html: email.html, text: email.text, subscriber: reader, ranked };
}

const longReader = () =>
  makeSubscriber({
    id: 'sample-reader',
    email: `${'a-very-long-local-part.'.repeat(3)}reader@${'subdomain.'.repeat(4)}example.org`,
    interests: Array.from({ length: 30 }, (_, n) => `interest number ${n} & "more"`).join(', '),
    digestSize: 20,
  });

/**
 * Every notice email, with real signed links: by default for the long address; `request`
 * is the sign-up a confirm link names (null: none).
 */
export async function noticeEmails(
  config = sampleConfig,
  reader = longReader(),
  request: Parameters<typeof buildSignupEmail>[4] = null,
) {
  const now = new Date('2026-11-26T09:00:00.000Z');
  return Promise.all([
    buildSignupEmail(config, reader, 'confirm', now, request),
    buildSignupEmail(config, reader, 'already_subscribed', now, request),
    buildDataLinkEmail(config, reader, 'export', now),
    buildDataLinkEmail(config, reader, 'erase', now),
  ]);
}

/**
 * The digest of `papers` (each picked for `why`) for `reader` through the fast path,
 * checked byte-identical to the React render of the same ranked list (subject, HTML, text).
 */
export async function checkedDigest(
  papers: Paper[],
  reader: Subscriber,
  why: string[],
): Promise<DigestEmail> {
  const ranked: RankedPaper[] = papers.map((paper) => ({ paper, score: 1, why }));
  const recipient = {
    subscriber: reader,
    deliveryId: 'daily-2026-11-26-3f2a9b1c-5e7d-4a8b-9c0d-1e2f3a4b5c6d',
  };
  const prepared = await prepareEdition(sampleConfig, { editionDate: '2026-11-26', papers });
  const email = await assembleDigest(prepared, sampleConfig, recipient, ranked);
  const reference = await renderDigestReference(
    sampleConfig,
    { editionDate: '2026-11-26' },
    recipient,
    ranked,
  );
  expect(reference.papers).toBe(email.papers);
  expect(reference.subject).toBe(email.subject);
  expect(reference.html).toBe(email.html);
  expect(reference.text).toBe(email.text);
  return email;
}
