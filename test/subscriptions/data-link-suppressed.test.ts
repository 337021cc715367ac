/**
 * Someone whose address bounced or reported a digest as spam is never mailed again, the
 * link to their data included. These tests hold the pages to giving them another way (who
 * to write to), on /data with the same words for every address, so the answer still tells
 * nobody who is on the list, and on the pages their old links still open (unsubscribe,
 * preferences).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { dataContactAddress } from '../../src/subscriptions/data-requests';
import { request } from '../helpers/app';
import { emailsTo, local, postForm, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);
/** MAIL_FROM's address (wrangler.toml), where replies go when REPLY_TO is not set. */
const CONTACT = 'digest@example.com';

const main = (html: string) => /<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';

async function suppressedSubscriber(email: string) {
  const row = await subscribeAndConfirm(email);
  await env.DB.prepare(
    `UPDATE subscribers SET status = 'suppressed', suppressed_at = ?, suppressed_reason = 'bounced' WHERE id = ?`,
  )
    .bind(new Date().toISOString(), row.id)
    .run();
  return rowToSubscriber((await rowOf(email))!);
}

describe('data of a suppressed address', () => {
  it('the unsubscribe page says whom to write to, not to ask for a link that never comes', async () => {
    const subscriber = await suppressedSubscriber('bounced-unsub@example.com');
    const response = await request(local(await unsubscribeUrl(config, subscriber)));
    const html = main(await response.text());
    expect(html).toContain('bounced');
    expect(html).not.toContain('href="/data"');
    expect(html).toContain(`href="mailto:${CONTACT}"`);
  });

  it('/data answers every address alike, and that answer says what to do when no link comes', async () => {
    await suppressedSubscriber('bounced-data@example.com');
    const before = (await emailsTo('bounced-data@example.com')).length;
    const suppressed = main(
      await (await postForm('/data', { email: 'bounced-data@example.com', action: 'export' })).text(),
    );
    const unknown = main(
      await (await postForm('/data', { email: 'nobody-here@example.com', action: 'export' })).text(),
    );
    expect((await emailsTo('bounced-data@example.com')).length).toBe(before);
    expect(suppressed.replace('bounced-data@example.com', 'X')).toBe(
      unknown.replace('nobody-here@example.com', 'X'),
    );
    expect(suppressed).toMatch(/bounced or (were )?reported as spam/);
    expect(suppressed).toContain(`href="mailto:${CONTACT}"`);
  });
});

describe('dataContactAddress', () => {
  it('is where replies go: REPLY_TO, else the address in MAIL_FROM', () => {
    expect(
      dataContactAddress({ MAIL_FROM: 'Papers <digest@example.org>', REPLY_TO: 'help@example.org' }),
    ).toBe('help@example.org');
    expect(
      dataContactAddress({ MAIL_FROM: '"Digest, Papers" <digest@example.org>', REPLY_TO: undefined }),
    ).toBe('digest@example.org');
    expect(dataContactAddress({ MAIL_FROM: 'digest@example.org', REPLY_TO: undefined })).toBe(
      'digest@example.org',
    );
  });
});

describe('asking for a data link from a preferences page left open', () => {
  it('after unsubscribing: points to /data, which still mails the link', async () => {
    const row = await subscribeAndConfirm('left-open@example.com');
    const subscriber = rowToSubscriber(row);
    const token = new URL(await preferencesUrl(config, subscriber)).searchParams.get('token')!;
    await postForm(local(await unsubscribeUrl(config, subscriber)), {});
    for (const kind of ['export', 'delete']) {
      const response = await postForm(`/preferences/${kind}?token=${encodeURIComponent(token)}`, {});
      expect(response.status).toBe(410);
      const html = main(await response.text());
      expect(html).toContain('unsubscribed');
      expect(html).toContain('href="/data"');
    }
  });

  it('after a bounce: says whom to write to', async () => {
    const subscriber = await suppressedSubscriber('left-open-bounced@example.com');
    const token = new URL(await preferencesUrl(config, subscriber)).searchParams.get('token')!;
    const response = await postForm(`/preferences/export?token=${encodeURIComponent(token)}`, {});
    expect(response.status).toBe(410);
    const html = main(await response.text());
    expect(html).toContain('bounced');
    expect(html).toContain(`href="mailto:${CONTACT}"`);
  });
});

describe('the preferences link of a suppressed address', () => {
  it('answers 410 and says whom to write to, on the page and in JSON', async () => {
    const subscriber = await suppressedSubscriber('prefs-bounced@example.com');
    const link = local(await preferencesUrl(config, subscriber));
    const page = await request(link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(410);
    const html = main(await page.text());
    expect(html).toContain('bounced');
    expect(html).toContain(`href="mailto:${CONTACT}"`);

    const json = await request(link, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(410);
    const { error } = await json.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('suppressed');
    expect(error.message).toContain(CONTACT);
  });

  it('saving the page left open answers the same, and changes nothing', async () => {
    const subscriber = await suppressedSubscriber('prefs-bounced-post@example.com');
    const link = local(await preferencesUrl(config, subscriber));
    const before = await rowOf('prefs-bounced-post@example.com');
    const response = await postForm(link, { digest_size: '3' });
    expect(response.status).toBe(410);
    const html = main(await response.text());
    expect(html).toContain('bounced');
    expect(html).toContain(`href="mailto:${CONTACT}"`);
    expect(await rowOf('prefs-bounced-post@example.com')).toEqual(before);
  });
});

describe('signing up again with a suppressed address', () => {
  it('gets the answer everyone gets, which says why no email may come and whom to write to', async () => {
    await suppressedSubscriber('bounced-signup@example.com');
    const before = (await emailsTo('bounced-signup@example.com')).length;
    const suppressed = main(
      await (await postForm('/subscribe', { email: 'bounced-signup@example.com' })).text(),
    );
    const fresh = main(await (await postForm('/subscribe', { email: 'fresh-signup@example.com' })).text());
    expect((await emailsTo('bounced-signup@example.com')).length).toBe(before);
    expect(suppressed.replace('bounced-signup@example.com', 'X')).toBe(
      fresh.replace('fresh-signup@example.com', 'X'),
    );
    expect(suppressed).toMatch(/bounced or (were )?reported as spam/);
    expect(suppressed).toContain(`href="mailto:${CONTACT}"`);
  });
});
