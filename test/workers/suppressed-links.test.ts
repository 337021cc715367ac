/**
 * A digest's own links (view in browser, 👍/👎) and the private feed of an address that
 * bounced or reported a digest as spam. Those links stop working, and since no email
 * reaches that address any more, their answer says whom to write to, as the preferences,
 * unsubscribe and data pages do: a page for browsers, the same words in JSON for API
 * clients, and nothing recorded.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { feedbackUrl, feedEntryUrl, feedUrl, viewInBrowserUrl } from '../../src/links';
import { insertSentDelivery, insertSubscribers, makeSubscriber } from '../factories';
import { request } from '../helpers/app';
import { local } from '../helpers/subscribers';

const config = parseConfig(env);
/** MAIL_FROM's address (wrangler.toml), where replies go when REPLY_TO is not set. */
const CONTACT = 'digest@example.com';
/** Papers of the digest: the link fails on its subscriber before any paper is looked up. */
const PAPERS = ['2605.02240', '2605.02241'];
const bounced = makeSubscriber({
  id: 'sl-bounced',
  status: 'suppressed',
  suppressedAt: '2026-11-27T00:00:00.000Z',
  suppressedReason: 'bounced',
});
const DELIVERY = 'del-sl-1';

const main = (html: string) => /<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';

beforeAll(async () => {
  await insertSubscribers(env.DB, [bounced]);
  await insertSentDelivery(env.DB, {
    id: DELIVERY,
    editionId: 'ed-sl-1',
    subscriberId: bounced.id,
    periodKey: '2026-11-26',
    ranking: PAPERS.map((id) => ({ id, score: 1, why: [] })),
    sentAt: '2026-11-26T08:01:00.000Z',
    subject: '2 new papers',
  });
});

/** Asserts the answer of a link of the bounced address, as a page and as JSON. */
async function expectSaysWhomToWrite(open: (accept: string) => Promise<Response>) {
  const page = await open('text/html');
  expect(page.status).toBe(410);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.headers.get('cache-control')).toBe('no-store');
  const html = main(await page.text());
  expect(html).toContain('bounced');
  expect(html).toContain(`href="mailto:${CONTACT}"`);

  const json = await open('application/json');
  expect(json.status).toBe(410);
  const { error } = await json.json<{ error: { code: string; message: string } }>();
  expect(error.code).toBe('suppressed');
  expect(error.message).toContain(CONTACT);
}

async function votes(): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM feedback WHERE subscriber_id = ?')
    .bind(bounced.id)
    .first<{ n: number }>();
  return row!.n;
}

describe('links of a suppressed address', () => {
  it('a 👍/👎 link says whom to write to', async () => {
    const link = local(await feedbackUrl(config, bounced, DELIVERY, PAPERS[0]!, 'up'));
    await expectSaysWhomToWrite((accept) => request(link, { headers: { accept } }));
  });

  it('confirming a vote from a page left open says the same, and records nothing', async () => {
    const token = new URL(await feedbackUrl(config, bounced, DELIVERY, PAPERS[0]!, 'up')).searchParams.get(
      'token',
    )!;
    await expectSaysWhomToWrite((accept) =>
      request('/feedback', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
        body: new URLSearchParams({ token, paper: PAPERS[0]!, vote: 'up' }).toString(),
      }),
    );
    expect(await votes()).toBe(0);
  });

  it('the view-in-browser link says whom to write to', async () => {
    const link = local(await viewInBrowserUrl(config, bounced, DELIVERY));
    await expectSaysWhomToWrite((accept) => request(link, { headers: { accept } }));
  });

  it('the feed and a feed entry say whom to write to', async () => {
    const feed = local(await feedUrl(config, bounced));
    await expectSaysWhomToWrite((accept) => request(feed, { headers: { accept } }));
    const entry = local(await feedEntryUrl(config, bounced, DELIVERY));
    await expectSaysWhomToWrite((accept) => request(entry, { headers: { accept } }));
  });
});
