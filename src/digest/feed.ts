/**
 * A subscriber's private Atom feed (GET /feed?token=): their recent digests, one entry per
 * sent digest with its papers as HTML content, for people who read in a feed reader rather
 * than (or besides) their inbox. Split in two so the part that can break a feed reader is
 * tested on its own: `buildAtomFeed` is pure and owns every byte of XML (escaping, and
 * dropping the characters XML 1.0 forbids, which titles from upstream can carry, and
 * writing every time as RFC 3339 whatever form D1 holds it in), while `subscriberFeed`
 * gathers what it needs from D1, signs the entry links and says when the feed last changed
 * (the route's Last-Modified).
 */
import { listSentDeliveries } from '../db/digest-views';
import { getPapersByIds } from '../db/papers';
import type { Paper, Subscriber } from '../domain';
import type { AppContext } from '../env';
import { readableTex } from '../lib/tex';
import { parseStoredTime } from '../lib/time';
import { feedEntryUrl, feedUrl } from '../links';
import type { RankedPaper } from '../ranking';
import { clean, editionLabel, paperUrl, summaryText, WITHDRAWN_NOTICE, whyLabel } from './format';

/** Digests per feed: enough for a reader that polls weekly, small enough to stay cheap. */
export const FEED_ENTRIES = 20;

export interface FeedEntry {
  /** Delivery id: the entry's stable id. */
  id: string;
  title: string;
  /** When the digest was sent, as stored (ISO, or SQLite's `YYYY-MM-DD HH:MM:SS`: see atomDate). */
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
  /** Time of the newest entry, or of the subscription when there is none (as `sentAt`). */
  updated: string;
  /** Newest first. */
  entries: FeedEntry[];
}

/**
 * A stored time as Atom requires it (RFC 3339: `2026-05-07T08:00:00.000Z`). A SQLite
 * `2026-05-07 08:00:00` is no RFC 3339 date, and feed validators and strict readers reject
 * the entry or the whole feed over it. A value that is no time at all is a bug upstream:
 * it throws rather than publish a feed readers would refuse.
 */
export function atomDate(value: string): string {
  return new Date(storedTime(value)).toISOString();
}

function storedTime(value: string): number {
  const ms = parseStoredTime(value);
  if (ms === null) throw new Error(`not a stored time: ${JSON.stringify(value)}`);
  return ms;
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
    <updated>${atomDate(entry.sentAt)}</updated>
    <published>${atomDate(entry.sentAt)}</published>
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
  <updated>${atomDate(input.updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xmlText(input.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(input.siteUrl)}"/>
  <author><name>Papers Digest</name></author>
  <generator>papers-digest</generator>
${entries.join('\n')}
</feed>
`;
}

export interface SubscriberFeed {
  xml: string;
  /**
   * The feed's `<updated>`: its newest entry or the newest withdrawal of a paper in it, or
   * the subscription when it has none.
   */
  updated: Date;
}

/** The subscriber's feed from their last FEED_ENTRIES sent digests (papers in digest order). */
export async function subscriberFeed(app: AppContext, subscriber: Subscriber): Promise<SubscriberFeed> {
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
  // The newest by time, not by the text order D1 sorted in: a time stored in SQLite's form
  // sorts before an ISO one of the same day. A paper withdrawn after it was sent changes its
  // entry (it is marked), so its last refresh counts too: a reader polling with
  // If-Modified-Since would otherwise keep the unmarked copy.
  const newest = entries.length
    ? Math.max(
        ...entries.map((entry) => storedTime(entry.sentAt)),
        ...[...papers.values()]
          .filter((paper) => paper.withdrawn)
          .map((paper) => storedTime(paper.refreshedAt)),
      )
    : storedTime(subscriber.confirmedAt ?? subscriber.createdAt);
  const updated = new Date(newest);
  const xml = buildAtomFeed({
    subscriberId: subscriber.id,
    selfUrl: await feedUrl(config, subscriber),
    siteUrl: config.PUBLIC_URL,
    updated: updated.toISOString(),
    entries,
  });
  return { xml, updated };
}
