/**
 * GET /feed through the Worker with real D1, for what feed readers and validators check
 * beyond the XML itself: every <updated> and <published> is an RFC 3339 date whatever form
 * D1 holds the time in (ours, SQLite's `YYYY-MM-DD HH:MM:SS`, Resend's short offset), and
 * polling is conditional: Last-Modified is the newest entry's time (or a later withdrawal
 * of a paper in it), If-Modified-Since gets a 304 until a newer digest is sent or a listed
 * paper is withdrawn, and If-None-Match takes precedence over it.
 */
import { env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { markPapersWithdrawn } from '../../src/db/papers';
import { WITHDRAWN_NOTICE } from '../../src/digest/format';
import type { Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { feedUrl } from '../../src/links';
import {
  insertPapers,
  insertSentDelivery,
  insertSubscribers,
  makeSubscriber,
  snapshotPapers,
} from '../factories';
import { request } from '../helpers/app';

const config = parseConfig(env);
const papers = snapshotPapers().slice(0, 4);
const path = (url: string) => url.replace(config.PUBLIC_URL, '');
/** RFC 3339 §5.6 date-time, upper-case T and Z as Atom's examples write them. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' });

interface ParsedFeed {
  updated: string;
  entry?: { id: string; updated: string; published: string }[];
}

const feedOf = async (response: Response): Promise<ParsedFeed> => parser.parse(await response.text()).feed;

let deliveries = 0;
function sendDigest(subscriberId: string, sentAt: string) {
  const index = deliveries++;
  return insertSentDelivery(env.DB, {
    id: `del-feed-${index}`,
    editionId: `ed-feed-${index}`,
    subscriberId,
    periodKey: `2026-11-${String(10 + index).padStart(2, '0')}`,
    ranking: [{ id: papers[index % papers.length]!.id, score: 0.8, why: ['matches “RLHF”'] }],
    sentAt,
    subject: `Digest ${index}`,
  });
}

/** A subscriber who was sent a digest at each of `sentAt` (as stored), and their feed's path. */
async function feedOfSubscriber(fields: Partial<Subscriber> & { id: string }, sentAt: string[]) {
  const subscriber = makeSubscriber(fields);
  await insertSubscribers(env.DB, [subscriber]);
  for (const at of sentAt) await sendDigest(subscriber.id, at);
  return path(await feedUrl(config, subscriber));
}

beforeAll(async () => {
  await insertPapers(env.DB, papers);
});

describe('GET /feed dates', () => {
  it('writes every stored time as RFC 3339, and the newest by time as the feed’s', async () => {
    const feed = await feedOfSubscriber({ id: 'feed-dana' }, [
      '2026-11-25T08:01:00.000Z',
      // SQLite's datetime() form sorts before an ISO time of the same day, but is newer.
      '2026-11-26 09:30:00',
      '2026-11-26T08:00:00.000Z',
      // Resend's created_at form: a fraction and a two-digit offset.
      '2026-11-24 07:15:00.123+00',
    ]);
    const response = await request(feed);
    expect(response.status).toBe(200);
    const doc = await feedOf(response);
    const dates = [doc.updated, ...doc.entry!.flatMap((entry) => [entry.updated, entry.published])];
    expect(dates).toHaveLength(9);
    for (const date of dates) expect(date).toMatch(RFC3339);
    expect(
      Object.fromEntries(doc.entry!.map((entry) => [entry.id.replace(/.*:/, ''), entry.published])),
    ).toEqual({
      'del-feed-0': '2026-11-25T08:01:00.000Z',
      'del-feed-1': '2026-11-26T09:30:00.000Z',
      'del-feed-2': '2026-11-26T08:00:00.000Z',
      'del-feed-3': '2026-11-24T07:15:00.123Z',
    });
    expect(doc.updated).toBe('2026-11-26T09:30:00.000Z');
    expect(response.headers.get('last-modified')).toBe('Thu, 26 Nov 2026 09:30:00 GMT');
  });

  it('without digests is updated at the subscription, stored in SQLite’s form', async () => {
    const feed = await feedOfSubscriber(
      { id: 'feed-erin', createdAt: '2026-10-01 10:00:00', confirmedAt: '2026-10-02 11:00:00' },
      [],
    );
    const response = await request(feed);
    expect(response.status).toBe(200);
    const doc = await feedOf(response);
    expect(doc.entry).toBeUndefined();
    expect(doc.updated).toBe('2026-10-02T11:00:00.000Z');
    expect(response.headers.get('last-modified')).toBe('Fri, 02 Oct 2026 11:00:00 GMT');
  });
});

describe('GET /feed conditional polls', () => {
  it('answers If-Modified-Since 304 until a newer digest is sent', async () => {
    const feed = await feedOfSubscriber({ id: 'feed-fay' }, ['2026-11-20 08:00:00.250']);
    const first = await request(feed);
    expect(first.status).toBe(200);
    const lastModified = first.headers.get('last-modified')!;
    expect(lastModified).toBe('Fri, 20 Nov 2026 08:00:00 GMT');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();

    // The date sent back, and any later one: nothing newer, no body.
    for (const since of [lastModified, 'Sat, 21 Nov 2026 00:00:00 GMT', 'Friday, 20-Nov-26 08:00:00 GMT']) {
      const again = await request(feed, { headers: { 'if-modified-since': since } });
      expect(again.status, since).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('last-modified')).toBe(lastModified);
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('cache-control')).toBe('private, max-age=300');
      expect(again.headers.get('x-robots-tag')).toBe('noindex');
      expect(again.headers.get('content-type')).toBeNull();
    }
    const head = await request(feed, { method: 'HEAD', headers: { 'if-modified-since': lastModified } });
    expect(head.status).toBe(304);

    // An earlier date, no HTTP-date at all, or one in the future (a reader's own clock): the feed.
    for (const since of [
      'Fri, 20 Nov 2026 07:59:59 GMT',
      '2026-11-21T00:00:00Z',
      'yesterday',
      new Date(Date.now() + 86_400_000).toUTCString(),
    ]) {
      const full = await request(feed, { headers: { 'if-modified-since': since } });
      expect(full.status, since).toBe(200);
      expect((await feedOf(full)).entry).toHaveLength(1);
    }

    await sendDigest('feed-fay', '2026-11-21 08:00:00');
    const changed = await request(feed, { headers: { 'if-modified-since': lastModified } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('last-modified')).toBe('Sat, 21 Nov 2026 08:00:00 GMT');
    expect((await feedOf(changed)).entry).toHaveLength(2);
  });

  it('moves Last-Modified when a paper it lists is withdrawn after it was sent', async () => {
    const [paper] = snapshotPapers().slice(4, 5);
    await insertPapers(env.DB, [paper!]);
    const feed = await feedOfSubscriber({ id: 'feed-hal' }, []);
    await insertSentDelivery(env.DB, {
      id: 'del-feed-hal',
      editionId: 'ed-feed-hal',
      subscriberId: 'feed-hal',
      periodKey: '2026-11-19',
      ranking: [{ id: paper!.id, score: 0.8, why: ['matches “RLHF”'] }],
      sentAt: '2026-11-19 08:00:00',
      subject: 'Digest hal',
    });
    const first = await request(feed);
    const lastModified = first.headers.get('last-modified')!;
    expect(lastModified).toBe('Thu, 19 Nov 2026 08:00:00 GMT');
    expect(await first.text()).not.toContain(WITHDRAWN_NOTICE);

    expect(await markPapersWithdrawn(env.DB, [paper!.id], '2026-11-23T10:00:00.000Z')).toEqual([paper!.id]);
    const changed = await request(feed, { headers: { 'if-modified-since': lastModified } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('last-modified')).toBe('Mon, 23 Nov 2026 10:00:00 GMT');
    const body = await changed.text();
    expect(body).toContain(WITHDRAWN_NOTICE);
    expect(parser.parse(body).feed.updated).toBe('2026-11-23T10:00:00.000Z');
    // The entry itself was sent when it was.
    expect(parser.parse(body).feed.entry[0].published).toBe('2026-11-19T08:00:00.000Z');

    const since = await request(feed, {
      headers: { 'if-modified-since': changed.headers.get('last-modified')! },
    });
    expect(since.status).toBe(304);
  });

  it('lets If-None-Match decide when both are sent (RFC 9110 §13.2.2)', async () => {
    const feed = await feedOfSubscriber({ id: 'feed-gus' }, ['2026-11-22 08:00:00']);
    const first = await request(feed);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;

    // A stale ETag: the feed, although If-Modified-Since alone would have been a 304.
    const stale = await request(feed, {
      headers: { 'if-none-match': '"an-older-feed"', 'if-modified-since': lastModified },
    });
    expect(stale.status).toBe(200);
    expect((await feedOf(stale)).entry).toHaveLength(1);

    // The current ETag: 304, although If-Modified-Since alone would have been a 200.
    const current = await request(feed, {
      headers: { 'if-none-match': etag, 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' },
    });
    expect(current.status).toBe(304);
    expect(current.headers.get('etag')).toBe(etag);
    expect(current.headers.get('last-modified')).toBe(lastModified);
  });
});
