/**
 * The view-in-browser page and the private Atom feed, through the Worker with real D1:
 * only the delivery's own subscriber can open it, it shows the same digest that was
 * mailed (papers in order with their reasons), and the feed lists sent digests.
 */
import { env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { feedUrl, viewInBrowserUrl } from '../../src/links';
import {
  insertPapers,
  insertSentDelivery,
  insertSubscribers,
  makeSubscriber,
  snapshotPapers,
} from '../factories';
import { request } from '../helpers/app';

const config = parseConfig(env);
const papers = snapshotPapers().slice(0, 6);
const alice = { id: 'view-alice', tokenVersion: 1 };
const bob = { id: 'view-bob', tokenVersion: 1 };
const path = (url: string) => url.replace(config.PUBLIC_URL, '');

beforeAll(async () => {
  await insertPapers(env.DB, papers);
  await insertSubscribers(env.DB, [
    makeSubscriber({ id: alice.id, interests: 'RLHF' }),
    makeSubscriber({ id: bob.id, interests: 'language models' }),
  ]);
  await insertSentDelivery(env.DB, {
    id: 'del-alice-1',
    editionId: 'ed-1',
    subscriberId: alice.id,
    periodKey: '2026-11-25',
    ranking: [
      { id: papers[1]!.id, score: 0.9, why: ['matches “RLHF”'] },
      { id: papers[0]!.id, score: 0.5, why: ['trending: 40 upvotes'] },
    ],
    sentAt: '2026-11-25T08:01:00.000Z',
    subject: '2 new papers: A Common Pitfall & more',
  });
  await insertSentDelivery(env.DB, {
    id: 'del-alice-2',
    editionId: 'ed-2',
    subscriberId: alice.id,
    periodKey: '2026-11-26',
    ranking: [{ id: papers[2]!.id, score: 0.7, why: ['matches “RLHF”'] }],
    sentAt: '2026-11-26T08:01:00.000Z',
    subject: '1 new paper: Cybench',
  });
});

describe('GET /digest (view in browser)', () => {
  it('shows the delivered digest with its papers in order and reasons', async () => {
    const response = await request(path(await viewInBrowserUrl(config, alice, 'del-alice-1')));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-robots-tag')).toBe('noindex');
    const html = await response.text();
    const first = html.indexOf(papers[1]!.title);
    const second = html.indexOf(papers[0]!.title);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(html).toContain('matches “RLHF”');
    expect(html).toContain('Wednesday, 25 November 2026');
    // A web page on a phone: viewport and title (the same HTML the email carries).
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(html).toContain('<title>Papers Digest: Wednesday, 25 November 2026</title>');
    // wrangler.toml's POSTAL_ADDRESS starts with the sender's name: said once.
    expect(html).toContain('>Papers Digest, 1 Example Street, Example City</p>');
    expect(html).not.toContain('Papers Digest · Papers Digest');
  });

  it('does not show one subscriber’s digest to another', async () => {
    const response = await request(path(await viewInBrowserUrl(config, bob, 'del-alice-1')), {
      headers: { accept: 'application/json' },
    });
    expect(response.status).toBe(404);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('digest_not_found');
    const forged = await request('/digest?token=nope', { headers: { accept: 'text/html' } });
    expect(forged.status).toBe(400);
  });
});

describe('GET /feed (private Atom feed)', () => {
  it('lists the subscriber’s sent digests, newest first', async () => {
    const response = await request(path(await feedUrl(config, alice)));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/atom+xml');
    const feed = new XMLParser({ ignoreAttributes: false }).parse(await response.text()).feed;
    const entries = Array.isArray(feed.entry) ? feed.entry : [feed.entry];
    expect(entries.map((entry: { title: string }) => entry.title)).toEqual([
      '1 new paper: Cybench',
      '2 new papers: A Common Pitfall & more',
    ]);
    expect(entries[1].content['#text']).toContain(papers[1]!.title.replace(/&/g, '&amp;').slice(0, 30));
    expect(entries[0].link['@_href']).toContain('/digest?token=');

    const empty = await request(path(await feedUrl(config, bob)));
    expect(empty.status).toBe(200);
    expect(new XMLParser().parse(await empty.text()).feed.entry).toBeUndefined();
  });
});
