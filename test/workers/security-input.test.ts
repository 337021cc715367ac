/**
 * A subscriber's own input turned against the pages and mail that echo it, through the
 * Worker's real handlers: markup and CR/LF in interests stay out of the confirmation
 * email and its headers and come back escaped on the preferences page and a re-rendered
 * form; oversized bodies on the token routes (a vote, a one-click unsubscribe) are
 * refused or ignored without being read whole.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { resetDelivery, seedSubscriber } from '../delivery/helpers';
import { request } from '../helpers/app';
import { endlessBody } from '../helpers/streams';
import { emailsTo, local, postForm, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);
const HOSTILE = '"><script>alert(1)</script>\r\nBcc: evil@attacker.example, <img src=x onerror=alert(2)>';
const LIVE = [/<script>alert/, /<img src=x/];

function expectInert(html: string, where: string) {
  for (const pattern of LIVE) expect(html, where).not.toMatch(pattern);
}

/** POSTs a chunked 10 MB form body to `path`; `pulled` counts the chunks the Worker read. */
async function postEndless(path: string) {
  const { body, pulled } = endlessBody();
  const response = await request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    // @ts-expect-error: workerd needs duplex for a streamed request body
    duplex: 'half',
  });
  return { response, pulled: pulled() };
}

describe('hostile interests', () => {
  it('stay out of the confirmation email and come back escaped on the preferences page', async () => {
    await resetDelivery();
    const row = await subscribeAndConfirm('mallory@example.org', { interests: HOSTILE });
    const [confirmation] = await emailsTo('mallory@example.org');
    // It shows the settings but not the topics, which whoever typed the address chose.
    expect(confirmation!.html).not.toContain('alert(');
    expect(confirmation!.subject).not.toMatch(/[\r\n]/);
    const link = await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version });
    const preferences = await request(local(link));
    expect(preferences.status).toBe(200);
    const html = await preferences.text();
    expect(html).toContain('&lt;script&gt;');
    expectInert(html, '/preferences');
  });

  it('come back escaped in a sign-up form re-rendered with an error', async () => {
    const response = await postForm('/subscribe', { email: 'not an address', interests: HOSTILE });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('&lt;script&gt;');
    expectInert(html, 'sign-up form');
  });
});

describe('oversized bodies on token routes', () => {
  it('refuses a chunked 10 MB vote at the cap, without reading it all', async () => {
    const { response, pulled } = await postEndless('/feedback');
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it('refuses a vote declaring a huge Content-Length before reading anything', async () => {
    const response = await request('/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '999999999' },
      body: 'vote=up',
    });
    expect(response.status).toBe(413);
  });

  it('unsubscribes on a one-click POST whatever its body, reading none of a huge one', async () => {
    const subscriber = await seedSubscriber({ email: 'big-body@example.org' });
    const { response, pulled } = await postEndless(local(await unsubscribeUrl(config, subscriber)));
    expect(response.status).toBe(200);
    expect(pulled).toBeLessThan(10);
    const row = await env.DB.prepare('SELECT status FROM subscribers WHERE id = ?')
      .bind(subscriber.id)
      .first<{ status: string }>();
    expect(row!.status).toBe('unsubscribed');
  });
});
