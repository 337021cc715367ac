/**
 * Issue 12, "links turned against their owner" (each test names its finding): the
 * unsubscribe link only unsubscribes (RFC 8058, repeatable) and coming back takes a fresh
 * double opt-in; after unsubscribing, the preferences, feed, view and 👍/👎 links stop
 * working; the never-expiring preferences link in every digest cannot export or erase the
 * account, it can only have a short-lived link mailed to the address; erasure asks for
 * confirmation; export answers POST only.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/env';
import {
  dataLinkUrl,
  feedbackUrl,
  feedUrl,
  preferencesUrl,
  unsubscribeUrl,
  viewInBrowserUrl,
} from '../../src/links';
import { BASE_URL, fetchWith, request } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ageMailRequests,
  emailsTo,
  h1,
  linkIn,
  local,
  postForm,
  postJson,
  type Row,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';
import { suppressionOf } from '../helpers/suppressions';

const config = parseConfig(env);
const subject = (row: Row) => ({ id: row.id, tokenVersion: row.token_version });

async function seedActivity(subscriberId: string) {
  const now = new Date().toISOString();
  const edition = `ed-${subscriberId}`;
  const delivery = `del-${subscriberId}`;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT OR IGNORE INTO papers (id, title, ingested_at, refreshed_at) VALUES ('2501.00002', 'A paper', ?, ?)`,
    ).bind(now, now),
    env.DB.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end) VALUES (?, 'daily', '2025-01-02', ?, ?, ?)`,
    ).bind(edition, now, now, now),
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, ranking, queued_at, sent_at, updated_at)
       VALUES (?, ?, ?, '2025-01-02', 'sent', '["2501.00002"]', '[{"id":"2501.00002","score":1,"why":[]}]', ?, ?, ?)`,
    ).bind(delivery, edition, subscriberId, now, now, now),
    env.DB.prepare(
      `INSERT INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at) VALUES (?, '2501.00002', ?, ?)`,
    ).bind(subscriberId, delivery, now),
    env.DB.prepare(
      `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES (?, '2501.00002', 1, ?)`,
    ).bind(subscriberId, now),
  ]);
  return delivery;
}

async function oneClick(row: Row) {
  const link = local(await unsubscribeUrl(config, subject(row)));
  return request(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
}

describe('the unsubscribe link only unsubscribes', () => {
  it('cannot resubscribe; repeating it stays safe; coming back takes a fresh double opt-in', async () => {
    const row = await subscribeAndConfirm('leaver@example.com');
    const link = local(await unsubscribeUrl(config, subject(row)));
    expect((await oneClick(row)).status).toBe(200);
    const unsubscribed = await rowOf('leaver@example.com');
    expect(unsubscribed!.status).toBe('unsubscribed');

    // The attack: the same link (held by every mailbox provider, in every forwarded digest)
    // posted to /resubscribe. It used to re-activate the subscription without the owner.
    const resubscribe = await postForm(link.replace('/unsubscribe?', '/resubscribe?'), {});
    expect(resubscribe.status).toBe(410);
    expect(await resubscribe.text()).toContain('sign up on the home page');
    expect(await rowOf('leaver@example.com')).toEqual(unsubscribed);

    // RFC 8058: a repeated one-click POST is a 200 and changes nothing.
    expect((await oneClick(row)).status).toBe(200);
    expect(await rowOf('leaver@example.com')).toEqual(unsubscribed);

    // Coming back: a sign-up mails a confirmation; only confirming it re-activates.
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'leaver@example.com' });
    expect((await rowOf('leaver@example.com'))!.status).toBe('unsubscribed');
    const confirm = linkIn((await emailsTo('leaver@example.com')).at(-1)!.text, '/confirm');
    expect((await postForm(local(confirm), {})).status).toBe(200);
    expect((await rowOf('leaver@example.com'))!.status).toBe('active');
  });

  // Security review: every version's unsubscribe link unsubscribes, but the write was made
  // on the version read when the link was opened. A confirmation committing in between (the
  // person coming back while a mail client one-clicks an old digest) bumped it: the write
  // matched nothing and the answer, to the person and to the mail provider, still said
  // "unsubscribed" over a subscription left active, whose digests kept coming.
  it('unsubscribes what it answers "unsubscribed" for, even a subscription confirmed a moment before', async () => {
    const row = await subscribeAndConfirm('racer@example.com');
    const oldDigestLink = local(await unsubscribeUrl(config, subject(row)));
    expect((await oneClick(row)).status).toBe(200);
    await ageMailRequests(11);
    expect((await postForm('/subscribe', { email: 'racer@example.com' })).status).toBe(200);
    const confirm = local(linkIn((await emailsTo('racer@example.com')).at(-1)!.text, '/confirm'));

    // The confirmation commits after the link was opened, just before the unsubscribe writes.
    let confirmed = false;
    const spy = spyD1(env.DB, async (sql) => {
      if (confirmed || !sql.includes("SET status = 'unsubscribed'")) return;
      confirmed = true;
      expect((await postForm(confirm, {})).status).toBe(200);
      expect((await rowOf('racer@example.com'))!.status).toBe('active');
    });
    const { response } = await fetchWith(
      new Request(new URL(oldDigestLink, BASE_URL), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'List-Unsubscribe=One-Click',
      }),
      { ...env, DB: spy.db },
    );
    expect(confirmed).toBe(true);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'unsubscribed', changed: true });
    expect((await rowOf('racer@example.com'))!.status).toBe('unsubscribed');
  });
});

describe('the confirmation link after unsubscribing', () => {
  it('says the subscription was left, not that a newer link was sent', async () => {
    const row = await subscribeAndConfirm('confirm-then-leave@example.com');
    const confirm = local(
      linkIn((await emailsTo('confirm-then-leave@example.com')).at(-1)!.text, '/confirm'),
    );
    expect((await oneClick(row)).status).toBe(200);
    for (const response of [await request(confirm), await postForm(confirm, {})]) {
      expect(response.status).toBe(410);
      const html = await response.text();
      expect(html).toContain('stopped working when you unsubscribed');
      expect(html).not.toContain('newer one has been sent');
    }
    const json = await request(confirm, { headers: { accept: 'application/json' } });
    expect(await json.json()).toMatchObject({ error: { code: 'not_subscribed' } });
    expect((await rowOf('confirm-then-leave@example.com'))!.status).toBe('unsubscribed');
  });
});

describe('links die with the subscription', () => {
  it('stops the preferences, feed, view and feedback links after unsubscribing, and keeps them dead after coming back', async () => {
    const row = await subscribeAndConfirm('closed@example.com');
    const delivery = await seedActivity(row.id);
    const links = {
      preferences: local(await preferencesUrl(config, subject(row))),
      feed: local(await feedUrl(config, subject(row))),
      view: local(await viewInBrowserUrl(config, subject(row), delivery)),
      feedback: local(await feedbackUrl(config, subject(row), delivery, '2501.00002', 'up')),
    };
    for (const [name, link] of Object.entries(links)) {
      expect((await request(link)).status, `${name} before`).toBe(200);
    }
    await oneClick(row);
    for (const [name, link] of Object.entries(links)) {
      const response = await request(link, { headers: { accept: 'application/json' } });
      expect(response.status, `${name} after unsubscribing`).toBe(410);
      expect((await response.json<{ error: { code: string } }>()).error.code).toBe('not_subscribed');
    }
    // A vote or a preferences change through the dead links changes nothing.
    expect((await postForm(links.preferences, { digest_size: '3' })).status).toBe(410);
    expect(
      (
        await postForm('/feedback', {
          token: new URL(`https://x${links.feedback}`).searchParams.get('token')!,
          paper: '2501.00002',
          vote: 'down',
        })
      ).status,
    ).toBe(410);

    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'closed@example.com' });
    await postForm(local(linkIn((await emailsTo('closed@example.com')).at(-1)!.text, '/confirm')), {});
    expect((await rowOf('closed@example.com'))!.status).toBe('active');
    for (const [name, link] of Object.entries(links)) {
      expect((await request(link)).status, `${name} after coming back`).toBe(410);
    }
  });

  // Security review: a confirmation link of an already active subscription showed the
  // confirmed page with a working preferences link, so the first confirmation email (valid
  // 7 days) reopened the account after unsubscribing and coming back.
  it('gives an old confirmation link no way into the account it once confirmed', async () => {
    const row = await subscribeAndConfirm('reopened@example.com', { interests: 'private topic' });
    const first = local(linkIn((await emailsTo('reopened@example.com'))[0]!.text, '/confirm'));
    await oneClick(row);
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'reopened@example.com' });
    await postForm(local(linkIn((await emailsTo('reopened@example.com')).at(-1)!.text, '/confirm')), {});
    const active = await rowOf('reopened@example.com');
    expect(active!.status).toBe('active');
    for (const response of [await request(first), await postForm(first, {})]) {
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(h1(html)).toBe('Subscription confirmed');
      expect(html).not.toContain('/preferences?token=');
      expect(html).not.toContain('private topic');
      expect(html).not.toContain('reopened@example.com');
    }
    expect(await rowOf('reopened@example.com')).toEqual(active);
  });
});

// Security review: a private feed is handed to feed readers (often a service that keeps and
// polls it from its own servers), and a web view's URL is what a reader copies from the
// address bar to share a digest. Each opened the digest as mailed: the address, the
// interests, and working preferences, unsubscribe and feed links, so the holder of a feed
// could read the address, change the settings, unsubscribe and vote.
describe('the feed and the web view show digests, not the account', () => {
  const accountKeys = ['/preferences?token=', '/unsubscribe?token=', '/feed?token=', '/data/'];

  it('opens no way into the account from a feed entry, which cannot vote either', async () => {
    const row = await subscribeAndConfirm('feed-reader@example.com', { interests: 'private topic' });
    await seedActivity(row.id);
    const xml = await (await request(local(await feedUrl(config, subject(row))))).text();
    const entry = /<entry>[\s\S]*?<link rel="alternate" type="text\/html" href="([^"]+)"\/>/.exec(xml);
    const link = local(entry![1]!.replace(/&amp;/g, '&'));
    const page = await request(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('A paper');
    for (const key of [...accountKeys, '/feedback?token=']) expect(html, key).not.toContain(key);
    expect(html).not.toContain('feed-reader@example.com');
    expect(html).not.toContain('private topic');
  });

  it('keeps the web view of an emailed digest to the digest and its 👍/👎', async () => {
    const row = await subscribeAndConfirm('shared-view@example.com', { interests: 'private topic' });
    const delivery = await seedActivity(row.id);
    const page = await request(local(await viewInBrowserUrl(config, subject(row), delivery)));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('A paper');
    expect(html).toContain('/feedback?token=');
    for (const key of accountKeys) expect(html, key).not.toContain(key);
    expect(html).not.toContain('shared-view@example.com');
    expect(html).not.toContain('private topic');
    expect(html).toContain('use the links in the email');
  });
});

describe('export and erasure need a link mailed to the address at that moment', () => {
  it('turns the preferences page buttons into "we have sent you a link"; the digest link itself exports nothing', async () => {
    const row = await subscribeAndConfirm('forwarded@example.com');
    await seedActivity(row.id);
    const prefs = local(await preferencesUrl(config, subject(row)));
    const mailsBefore = (await emailsTo('forwarded@example.com')).length;

    // Export answered GET and POST with the data; now GET is refused (405) and POST mails a link.
    expect((await request(prefs.replace('/preferences?', '/preferences/export?'))).status).toBe(405);
    const exported = await postForm(prefs.replace('/preferences?', '/preferences/export?'), {});
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('text/html');
    const page = await exported.text();
    expect(h1(page)).toBe("We've sent you a link");
    expect(page).not.toContain('2501.00002');

    const deleted = await postForm(prefs.replace('/preferences?', '/preferences/delete?'), {});
    expect(h1(await deleted.text())).toBe("We've sent you a link");
    expect((await rowOf('forwarded@example.com'))!.status).toBe('active');

    const mails = (await emailsTo('forwarded@example.com')).slice(mailsBefore);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Your link to download your Papers Digest data',
      'Your link to delete your Papers Digest data',
    ]);
    expect(mails[0]!.text).toContain('/data/export?token=');
    expect(mails[1]!.text).toContain('/data/erase?token=');

    // Asking again at once: told, not mailed again.
    const again = await postJson(
      prefs.replace('/preferences?', '/preferences/export?'),
      {},
      { accept: 'application/json' },
    );
    expect(again.status).toBe(429);
    expect((await again.json<{ error: { code: string } }>()).error.code).toBe('link_recently_sent');
    expect((await emailsTo('forwarded@example.com')).length).toBe(mailsBefore + 2);
  });

  // Security review: when Resend refused the email, its own message (key restrictions,
  // domains, account state) was repeated to whoever held the preferences link.
  it("keeps the mail provider's error to the log when the link cannot be sent", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const row = await subscribeAndConfirm('unsendable@example.com');
    fakeHttp.use(
      http.post('https://api.resend.com/emails/batch', () =>
        HttpResponse.json(
          {
            name: 'validation_error',
            message: 'key re_123 may only send from internal.example',
            statusCode: 403,
          },
          { status: 403 },
        ),
      ),
    );
    const exportLink = local(await preferencesUrl(config, subject(row))).replace(
      '/preferences?',
      '/preferences/export?',
    );
    const { response } = await fetchWith(
      new Request(`${BASE_URL}${exportLink}`, {
        method: 'POST',
        headers: { accept: 'application/json', origin: BASE_URL },
      }),
      { ...env, OUTBOX: 'off', RESEND_API_KEY: 're_test_export' },
    );
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).toContain('email_unavailable');
    expect(body).not.toContain('internal.example');
    expect(body).not.toContain('validation_error');
    const logged = errors.mock.calls
      .map((call) => String(call[0]))
      .find((line) => line.includes('requested_mail_failed'));
    expect(logged).toContain('internal.example');
    errors.mockRestore();
  });

  it('downloads the data only by POST from the mailed link, which expires within the hour', async () => {
    const row = await subscribeAndConfirm('export@example.com');
    await seedActivity(row.id);
    await postForm(
      local(await preferencesUrl(config, subject(row))).replace('/preferences?', '/preferences/export?'),
      {},
    );
    const link = local(linkIn((await emailsTo('export@example.com')).at(-1)!.text, '/data/export'));

    const view = await request(link);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toContain('text/html');
    expect(view.headers.get('cache-control')).toBe('no-store');
    expect(await view.text()).toMatch(/<button type="submit">Download my data<\/button>/);

    const response = await postForm(link, {});
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const data = await response.json<Record<string, unknown> & { subscriber: Record<string, unknown> }>();
    expect(data.subscriber).toMatchObject({
      email: 'export@example.com',
      status: 'active',
      interests: 'RLHF',
    });
    expect(data.subscriber).not.toHaveProperty('token_version');
    expect(data.deliveries).toHaveLength(1);
    // Every paper of every digest sent, in the export's long-standing shape.
    expect(data.sent_papers).toEqual([
      { paper_id: '2501.00002', delivery_id: `del-${row.id}`, sent_at: expect.any(String) },
    ]);
    expect(data.feedback).toEqual([expect.objectContaining({ paper_id: '2501.00002', vote: 1 })]);

    // The preferences token is not an export token, and an hour-old link is dead.
    const prefsToken = new URL(await preferencesUrl(config, subject(row))).searchParams.get('token')!;
    expect((await postForm(`/data/export?token=${encodeURIComponent(prefsToken)}`, {})).status).toBe(400);
    const stale = local(
      await dataLinkUrl(config, subject(row), 'export', new Date(Date.now() - 61 * 60_000)),
    );
    expect((await postForm(stale, {})).status).toBe(410);
  });

  it('asks for confirmation before erasing, then erases everything but a keyed hash', async () => {
    const row = await subscribeAndConfirm('forget.me@Example.com');
    await seedActivity(row.id);
    const prefs = local(await preferencesUrl(config, subject(row)));
    await postForm(prefs.replace('/preferences?', '/preferences/delete?'), {});
    const link = local(linkIn((await emailsTo('forget.me@example.com')).at(-1)!.text, '/data/erase'));

    // Opening the link (or a mail scanner prefetching it) deletes nothing.
    const confirmPage = await request(link);
    expect(confirmPage.status).toBe(200);
    const html = await confirmPage.text();
    expect(h1(html)).toBe('Delete all your data?');
    expect(html).toMatch(/<button type="submit" class="danger-button">Yes, delete everything<\/button>/);
    expect((await rowOf('forget.me@example.com'))!.status).toBe('active');

    const erased = await postForm(link, {});
    expect(erased.status).toBe(200);
    expect(h1(await erased.text())).toBe('Your data has been deleted');
    for (const table of ['deliveries', 'sent_papers', 'feedback', 'mail_requests']) {
      const left = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE subscriber_id = ?`)
        .bind(row.id)
        .first<{ n: number }>();
      expect(left!.n, table).toBe(0);
    }
    expect(await rowOf('forget.me@example.com')).toBeNull();
    expect((await suppressionOf('FORGET.ME@example.com'))!.reason).toBe('erased');
    expect(JSON.stringify(await env.DB.prepare('SELECT * FROM suppressions').all())).not.toContain(
      'forget.me',
    );
    // Every old link is dead.
    expect((await request(prefs)).status).toBe(410);
    expect((await postForm(link, {})).status).toBe(410);

    // The owner may opt in again; confirming lifts the "erased" suppression.
    await postForm('/subscribe', { email: 'forget.me@example.com' });
    const confirm = linkIn((await emailsTo('forget.me@example.com')).at(-1)!.text, '/confirm');
    expect((await postForm(local(confirm), {})).status).toBe(200);
    expect((await rowOf('forget.me@example.com'))!.status).toBe('active');
    expect(await suppressionOf('forget.me@example.com')).toBeNull();
  });

  it('keeps the unsubscribe link of an erased subscription a success, for the person and for one-click', async () => {
    const row = await subscribeAndConfirm('erased-then-unsub@example.com');
    const unsubscribe = local(await unsubscribeUrl(config, subject(row)));
    const prefs = local(await preferencesUrl(config, subject(row)));
    await postForm(prefs.replace('/preferences?', '/preferences/delete?'), {});
    const erase = local(
      linkIn((await emailsTo('erased-then-unsub@example.com')).at(-1)!.text, '/data/erase'),
    );
    expect((await postForm(erase, {})).status).toBe(200);
    expect(await rowOf('erased-then-unsub@example.com')).toBeNull();

    // The footer link, then the mail provider's RFC 8058 POST: no email goes to this
    // subscription any more, so both say so (a 410 reads as "you cannot stop the emails").
    const page = await request(unsubscribe);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(h1(html)).toBe('You are unsubscribed');
    expect(html).not.toContain('<button');
    expect((await oneClick(row)).status).toBe(200);
    expect(await rowOf('erased-then-unsub@example.com')).toBeNull();
    // A forged link is still refused.
    expect((await request(`${unsubscribe.slice(0, -4)}AAAA`)).status).toBe(400);
  });

  it('lets anyone ask by address at /data, answering the same whether or not we know it', async () => {
    const row = await subscribeAndConfirm('gone-but-known@example.com');
    await oneClick(row);
    const known = await postForm('/data', { email: 'Gone-But-Known@example.com', action: 'erase' });
    const unknown = await postForm('/data', { email: 'never-heard-of@example.com', action: 'erase' });
    expect(known.status).toBe(unknown.status);
    const normalise = (html: string) =>
      html.replace(/Gone-But-Known@example\.com|never-heard-of@example\.com/g, 'X');
    expect(normalise(await known.text())).toBe(normalise(await unknown.text()));
    expect(await emailsTo('never-heard-of@example.com')).toHaveLength(0);
    // The unsubscribed person can still erase their data, through the mailed link.
    const link = local(linkIn((await emailsTo('gone-but-known@example.com')).at(-1)!.text, '/data/erase'));
    expect((await postForm(link, {})).status).toBe(200);
    expect(await rowOf('gone-but-known@example.com')).toBeNull();

    const invalid = await postForm('/data', { email: 'not-an-email', action: 'export' });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('id="email-error"');
  });
});
