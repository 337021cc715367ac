/**
 * Signed links as an attacker handles them, through the Worker's real handlers and D1:
 * claims edited under a kept signature, one person's token pointed at another, a token
 * for one purpose used for another, an expired mailed link, and method confusion (a GET
 * or HEAD, as mail scanners and link previews send, must never unsubscribe or vote). Also
 * the CSRF stance: forms on our pages refuse a cross-site POST, while the RFC 8058
 * one-click POST, which mail providers send without our Origin, works on its token alone.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { dataLinkUrl, feedUrl, preferencesUrl, unsubscribeUrl } from '../../src/links';
import { resetDelivery, seedSubscriber } from '../delivery/helpers';
import { request } from '../helpers/app';

const config = parseConfig(env);
const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};
const statusOf = async (id: string) =>
  (await env.DB.prepare('SELECT status FROM subscribers WHERE id = ?').bind(id).first<{ status: string }>())
    ?.status;
const frequencyOf = async (id: string) =>
  (
    await env.DB.prepare('SELECT frequency FROM subscribers WHERE id = ?')
      .bind(id)
      .first<{ frequency: string }>()
  )?.frequency;

const b64url = (text: string) => btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
const fromB64url = (text: string) => atob(text.replaceAll('-', '+').replaceAll('_', '/'));

beforeEach(resetDelivery);

describe('forged and misdirected tokens', () => {
  it("refuses a token whose subscriber was swapped for someone else's under the old signature", async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const bob = await seedSubscriber({ email: 'bob@example.org' });
    const token = new URL(await unsubscribeUrl(config, alice)).searchParams.get('token')!;
    const [body, mac] = token.split('.');
    const claims = JSON.parse(fromB64url(body!)) as Record<string, unknown>;
    const forged = `${b64url(JSON.stringify({ ...claims, s: bob.id }))}.${mac}`;
    for (const method of ['GET', 'POST']) {
      const response = await request(`/unsubscribe?token=${encodeURIComponent(forged)}`, { method });
      expect(response.status, method).toBe(400);
    }
    expect(await statusOf(bob.id)).toBe('active');
    expect(await statusOf(alice.id)).toBe('active');
  });

  it('refuses a token of one purpose at another address', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const unsubscribe = new URL(await unsubscribeUrl(config, alice)).searchParams.get('token')!;
    const feed = new URL(await feedUrl(config, alice)).searchParams.get('token')!;
    const preferences = new URL(await preferencesUrl(config, alice)).searchParams.get('token')!;
    for (const path of [
      `/preferences?token=${unsubscribe}`,
      `/feed?token=${preferences}`,
      `/unsubscribe?token=${feed}`,
      `/data/export?token=${preferences}`,
    ]) {
      const response = await request(path, { headers: { accept: 'application/json' } });
      expect(response.status, path).toBe(400);
      expect(await response.json(), path).toMatchObject({ error: { code: 'invalid_link' } });
    }
    expect(await statusOf(alice.id)).toBe('active');
  });

  it("lets a first token in the query win over a second one in the body, never mixing two people's", async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const bob = await seedSubscriber({ email: 'bob@example.org' });
    const aliceToken = new URL(await unsubscribeUrl(config, alice)).searchParams.get('token')!;
    const bobToken = new URL(await unsubscribeUrl(config, bob)).searchParams.get('token')!;
    const response = await request(`/unsubscribe?token=${aliceToken}&token=${bobToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${bobToken}`,
    });
    expect(response.status).toBe(200);
    expect(await statusOf(alice.id)).toBe('unsubscribed');
    expect(await statusOf(bob.id)).toBe('active');
  });

  it('refuses an expired export link with 410', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const old = await dataLinkUrl(config, alice, 'export', new Date(Date.now() - 2 * 3_600_000));
    const response = await request(pathOf(old), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://digest.test' },
      body: '',
    });
    expect(response.status).toBe(410);
    expect(await response.text()).not.toContain('alice@example.org');
  });
});

describe('method confusion', () => {
  it('never unsubscribes on GET or HEAD, as scanners and link previews send them', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const path = pathOf(await unsubscribeUrl(config, alice));
    for (const method of ['GET', 'HEAD']) {
      const response = await request(path, { method });
      expect(response.status, method).toBe(200);
    }
    expect(await statusOf(alice.id)).toBe('active');
    const response = await request(path, { method: 'PUT' });
    expect(response.status).toBe(405);
    expect(await statusOf(alice.id)).toBe('active');
  });
});

describe('cross-site requests', () => {
  it('unsubscribes on the RFC 8058 one-click POST from a mail provider, with no Origin', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const response = await request(pathOf(await unsubscribeUrl(config, alice)), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect(await statusOf(alice.id)).toBe('unsubscribed');
  });

  it('gains a cross-site page nothing without the token: no vote, no unsubscribe', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org' });
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    };
    const vote = await request('/feedback', { method: 'POST', headers, body: 'paper=2611.00001&vote=up' });
    expect(vote.status).toBe(400);
    const unsubscribe = await request('/unsubscribe', {
      method: 'POST',
      headers,
      body: `email=${alice.email}`,
    });
    expect(unsubscribe.status).toBe(400);
    expect(await statusOf(alice.id)).toBe('active');
    const votes = await env.DB.prepare('SELECT COUNT(*) AS n FROM feedback').first<{ n: number }>();
    expect(votes!.n).toBe(0);
  });

  // Fetch §3.1 "append a request Origin header": a form POST from a page whose
  // Referrer-Policy is no-referrer carries `Origin: null`, even to the page's own origin
  // (Chromium does it). A browser that sends no Sec-Fetch-Site either (one without Fetch
  // Metadata, or any on a plain-http origin, such as the dev server opened from a phone on
  // the LAN) then had every form of ours refused as cross-site.
  it("accepts our own forms with the Origin a browser sends under the page's Referrer-Policy", async () => {
    const originFrom = (page: Response) => {
      const policy = page.headers.get('referrer-policy');
      expect(policy, 'a policy that keeps our tokens from other sites').toMatch(
        /^(no-referrer|same-origin)$/,
      );
      return policy === 'no-referrer' ? 'null' : 'https://digest.test';
    };
    const alice = await seedSubscriber({ email: 'alice@example.org', frequency: 'daily' });
    const preferences = pathOf(await preferencesUrl(config, alice));
    const saved = await request(preferences, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: originFrom(await request(preferences)),
      },
      body: 'frequency=weekly',
    });
    expect(saved.status).toBe(200);
    expect(await frequencyOf(alice.id)).toBe('weekly');

    const signup = await request('/subscribe', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: originFrom(await request('/')),
        'cf-connecting-ip': '198.51.100.77',
      },
      body: 'email=bob%40example.org',
    });
    expect(signup.status).toBe(200);
  });

  it('refuses a cross-site POST to the preferences form even with a valid token', async () => {
    const alice = await seedSubscriber({ email: 'alice@example.org', frequency: 'daily' });
    const response = await request(pathOf(await preferencesUrl(config, alice)), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: 'frequency=weekly&interests=spam',
    });
    expect(response.status).toBe(403);
    expect(await frequencyOf(alice.id)).toBe('daily');
  });
});
