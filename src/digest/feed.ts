/**
 * A subscriber's private Atom feed (GET /feed?token=): their recent digests, one entry per
 * sent digest with its papers as HTML content, for people who read in a feed reader rather
 * than (or besides) their inbox. Split in two so the part that can break a feed reader is
 * tested on its own: `buildAtomFeed` is pure and owns every byte of XML (escaping, and
 * dropping the characters XML 1.0 forbids, which titles from upstream can carry), while
 * `subscriberFeed` gathers what it needs from D1 and signs the entry links.
 */
import { listSentDeliveries } from '../db/digest-views';
import { getPapersByIds } from '../db/papers';
import type { Paper, Subscriber } from '../domain';
import type { AppContext } from '../env';
import { readableTex } from '../lib/tex';
import { feedEntryUrl, feedUrl } from '../links';
import type { RankedPaper } from '../ranking';
import { clean, editionLabel, paperUrl, summaryText, WITHDRAWN_NOTICE, whyLabel } from './format';

/** Digests per feed: enough for a reader that polls weekly, small enough to stay cheap. */
export const FEED_ENTRIES = 20;

export interface FeedEntry {
  /** Delivery id: the entry's stable id. */
  id: string;
  title: string;
  /** ISO time the digest was sent. */
  sentAt: string;
  /** Where the entry opens: the digest's web page, read-only (feedEntryUrl). */
  link: string;
  papers: RankedPaper[];
}

export interface AtomFeedInput {
  /** Subscriber id: the feed's stable id. */
  subscriberId: string;
  selfUrl: string;
  siteUrl: string;
  /** ISO time of the newest entry, or of the subscription when there is none. */
  updated: string;
  /** Newest first. */
  entries: FeedEntry[];
}

/** Characters XML 1.0 does not allow anywhere (controls, lone surrogates, U+FFFE/FFFF). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text or attribute value as XML: escaped, and without characters a parser would reject. */
export function xmlText(value: string): string {
  return value.replace(NOT_XML, '').replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** A title on one line: forbidden characters dropped first, so no double space is left behind. */
const line = (value: string): string => clean(value.replace(NOT_XML, ''));

function entryContent(papers: RankedPaper[]): string {
  const items = papers.map(({ paper, why }) => {
    const authors = paper.authors.slice(0, 3).join(', ') + (paper.authors.length > 3 ? ' et al.' : '');
    // As on the view-in-browser page: what was sent, marked if arXiv has withdrawn it since.
    const notice = paper.withdrawn ? `<p><strong>${xmlText(WITHDRAWN_NOTICE)}</strong></p>` : '';
    return `<li>${notice}<p><a href="${xmlText(paperUrl(paper))}"><strong>${xmlText(line(readableTex(paper.title)))}</strong></a><br/>${xmlText(
      authors,
    )}</p><p>${xmlText(summaryText(paper))}</p><p><em>Why: ${xmlText(whyLabel(why))}</em></p></li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

/** The feed document; entry content is HTML, escaped once more as `type="html"` requires. */
export function buildAtomFeed(input: AtomFeedInput): string {
  const entries = input.entries.map(
    (entry) => `  <entry>
    <id>urn:papers-digest:delivery:${xmlText(entry.id)}</id>
    <title>${xmlText(line(entry.title))}</title>
    <updated>${xmlText(entry.sentAt)}</updated>
    <published>${xmlText(entry.sentAt)}</published>
    <link rel="alternate" type="text/html" href="${xmlText(entry.link)}"/>
    <summary>${xmlText(entry.papers.map((item) => line(readableTex(item.paper.title))).join(' · '))}</summary>
    <content type="html">${xmlText(entryContent(entry.papers))}</content>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Papers Digest: your digests</title>
  <subtitle>Research papers picked for your interests</subtitle>
  <id>urn:papers-digest:feed:${xmlText(input.subscriberId)}</id>
  <updated>${xmlText(input.updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xmlText(input.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(input.siteUrl)}"/>
  <author><name>Papers Digest</name></author>
  <generator>papers-digest</generator>
${entries.join('\n')}
</feed>
`;
}

/** The subscriber's feed from their last FEED_ENTRIES sent digests (papers in digest order). */
export async function subscriberFeed(app: AppContext, subscriber: Subscriber): Promise<string> {
  const { config, db } = app;
  const deliveries = await listSentDeliveries(db, subscriber.id, FEED_ENTRIES);
  const allIds = [...new Set(deliveries.flatMap((delivery) => delivery.items.map((item) => item.id)))];
  const papers = new Map<string, Paper>((await getPapersByIds(db, allIds)).map((paper) => [paper.id, paper]));
  const entries = await Promise.all(
    deliveries.map(async (delivery): Promise<FeedEntry> => {
      const ranked = delivery.items.flatMap((item) => {
        const paper = papers.get(item.id);
        return paper ? [{ paper, score: item.score, why: item.why }] : [];
      });
      return {
        id: delivery.id,
        title:
          delivery.subject ??
          `${editionLabel(delivery.plannedAt.slice(0, 10), delivery.frequency)}: ${ranked.length} papers`,
        sentAt: delivery.sentAt!,
        link: await feedEntryUrl(config, subscriber, delivery.id),
        papers: ranked,
      };
    }),
  );
  return buildAtomFeed({
    subscriberId: subscriber.id,
    selfUrl: await feedUrl(config, subscriber),
    siteUrl: config.PUBLIC_URL,
    updated: deliveries[0]?.sentAt ?? subscriber.confirmedAt ?? subscriber.createdAt,
    entries,
  });
}
