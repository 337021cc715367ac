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
import { signToken } from '../../src/tokens';
import {
  insertPapers,
  insertSentDelivery,
  insertSubscribers,
  makeSubscriber,
  snapshotPapers,
} from '../factories';
import { request } from '../helpers/app';
import { expectOutlookGhostTable } from '../helpers/outlook';

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
    // The same markup as the email, Outlook's ghost table included (browsers ignore it).
    expectOutlookGhostTable(html, 600);
  });

  it('still opens links of the older format in emails already sent, for their own subscriber only', async () => {
    const legacy = (subscriber: typeof alice, deliveryId: string) =>
      signToken(config.TOKEN_SECRET, {
        p: 'view',
        s: subscriber.id,
        v: subscriber.tokenVersion,
        x: deliveryId,
      });
    const own = await request(`/digest?token=${await legacy(alice, 'del-alice-1')}`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain(papers[1]!.title);
    const other = await request(`/digest?token=${await legacy(bob, 'del-alice-1')}`, {
      headers: { accept: 'application/json' },
    });
    expect(other.status).toBe(404);
    expect((await other.json<{ error: { code: string } }>()).error.code).toBe('digest_not_found');
  });

  it('refuses forged, revoked and unknown digest links', async () => {
    const link = path(await viewInBrowserUrl(config, alice, 'del-alice-1'));
    const token = new URL(link, 'https://x').searchParams.get('token')!;
    expect(token.length).toBeLessThan(70);
    const forged = await request(`/digest?token=${token.slice(0, -2)}AA`, {
      headers: { accept: 'text/html' },
    });
    expect(forged.status).toBe(400);
    expect((await request('/digest?token=nope', { headers: { accept: 'text/html' } })).status).toBe(400);
    // Another delivery id under the same MAC is a forgery too.
    const [, version, mac] = token.split('.');
    expect((await request(`/digest?token=del-alice-2.${version}.${mac}`)).status).toBe(400);
    // Links die with the subscriber's token version.
    const stale = await viewInBrowserUrl(config, { ...alice, tokenVersion: 0 }, 'del-alice-1');
    expect((await request(path(stale))).status).toBe(410);
    const unknown = await viewInBrowserUrl(config, alice, 'del-nobody');
    expect((await request(path(unknown))).status).toBe(410);
  });
});

describe('headers of the signed pages', () => {
  it('keeps every answer, error pages too, out of shared caches and search indexes', async () => {
    const view = path(await viewInBrowserUrl(config, alice, 'del-alice-1'));
    const feed = path(await feedUrl(config, alice));
    const answers = {
      digest: await request(view),
      'forged digest link': await request(`${view.slice(0, -2)}AA`),
      feed: await request(feed),
      'forged feed link': await request(`${feed.slice(0, -2)}AA`),
      'feed of nobody': await request(path(await feedUrl(config, { ...alice, id: 'view-nobody' }))),
      'forged 👍 link': await request(`/feedback?token=${view.split('token=')[1]!.slice(0, -2)}AA&paper=x`),
    };
    for (const [what, response] of Object.entries(answers)) {
      expect(response.headers.get('x-robots-tag'), what).toBe('noindex');
      expect(response.headers.get('referrer-policy'), what).toBe('same-origin');
      const cache = response.headers.get('cache-control');
      // Only the feed itself may sit in the reader's own cache; nothing else is stored.
      if (what === 'feed') expect(cache).toBe('private, max-age=300');
      else expect(cache, what).toMatch(/\bno-store\b/);
    }
    expect(answers['feed of nobody'].status).toBe(410);
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

    // An entry opens its digest with the feed's token, for the feed's own digests only.
    const entry = path(entries[0].link['@_href']);
    expect((await request(entry)).status).toBe(200);
    const bobsFeed = new URL(await feedUrl(config, bob)).searchParams.get('token')!;
    const foreign = await request(`/digest?token=${bobsFeed}&digest=del-alice-2`);
    expect(foreign.status).toBe(404);

    const empty = await request(path(await feedUrl(config, bob)));
    expect(empty.status).toBe(200);
    expect(new XMLParser().parse(await empty.text()).feed.entry).toBeUndefined();
  });
});

describe('GET /feed polled by a feed reader', () => {
  it('answers a repeated poll 304 with no body while the feed is unchanged, and 200 once it changes', async () => {
    const carol = { id: 'view-carol', tokenVersion: 1 };
    await insertSubscribers(env.DB, [makeSubscriber({ id: carol.id, interests: 'RLHF' })]);
    const feed = path(await feedUrl(config, carol));
    const first = await request(feed);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^(W\/)?"[^"]+"$/);

    // Readers send back the ETag (some as a weak one after a proxy's compression).
    for (const sent of [etag!, `W/${etag!.replace(/^W\//, '')}`]) {
      const again = await request(feed, { headers: { 'if-none-match': sent } });
      expect(again.status, sent).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      // The 304 refreshes what the reader stored: still private, still never indexed.
      expect(again.headers.get('cache-control')).toBe('private, max-age=300');
      expect(again.headers.get('x-robots-tag')).toBe('noindex');
    }
    const head = await request(feed, { method: 'HEAD', headers: { 'if-none-match': etag! } });
    expect(head.status).toBe(304);

    await insertSentDelivery(env.DB, {
      id: 'del-carol-1',
      editionId: 'ed-1',
      subscriberId: carol.id,
      periodKey: '2026-11-25',
      ranking: [{ id: papers[3]!.id, score: 0.8, why: ['matches “RLHF”'] }],
      sentAt: '2026-11-25T08:02:00.000Z',
      subject: '1 new paper for Carol',
    });
    const changed = await request(feed, { headers: { 'if-none-match': etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).toContain('1 new paper for Carol');
  });
});
