/**
 * GET /feed through the Worker with real D1, for what feed readers and validators check
 * beyond the XML itself: every <updated> and <published> is an RFC 3339 date whatever form
 * D1 holds the time in (ours, SQLite's `YYYY-MM-DD HH:MM:SS`, Resend's short offset), and
 * the feed's own is its newest entry's by time, not by the text order D1 sorts in.
 */
import { env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
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
  });
});
