/**
 * Admin authentication as an attacker tries it, through the Worker's real handler: no
 * header, an empty one, an empty or near-miss token, the token in another scheme or place.
 * And which 401s carry an HTTP auth challenge: only the admin API's (Bearer, or Basic for
 * a browser), never a webhook signature rejection nor a signed link's refusal, where a
 * `WWW-Authenticate` naming the admin realm is wrong and tells a prober where to look;
 * and every refusal still carries the security headers.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, fetchWith, request } from '../helpers/app';
import { signedWebhook } from '../helpers/webhooks';

const challengeOf = (response: Response) => response.headers.get('www-authenticate');

describe('admin auth bypass attempts', () => {
  it.each([
    ['no Authorization header', {}],
    ['an empty Authorization header', { authorization: '' }],
    ['"Bearer" with no token', { authorization: 'Bearer' }],
    ['"Bearer " and spaces', { authorization: 'Bearer    ' }],
    ['the token without a scheme', { authorization: ADMIN_TOKEN }],
    ['the token one character short', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['the token with a character more', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['the token as a Basic user name', { authorization: `Basic ${btoa(`${ADMIN_TOKEN}:`)}` }],
    ['an empty Basic password', { authorization: `Basic ${btoa('admin:')}` }],
    ['the token in X-Admin-Token', { 'x-admin-token': ADMIN_TOKEN }],
    ['the token in a cookie', { cookie: `token=${ADMIN_TOKEN}` }],
  ] as [string, Record<string, string>][])('refuses %s', async (_name, headers) => {
    for (const path of ['/admin/stats', '/admin/subscribers.csv', `/admin/stats?token=${ADMIN_TOKEN}`]) {
      const response = await request(path, { headers });
      expect([400, 401], `${path}`).toContain(response.status);
      expect(await response.text()).not.toContain('"subscribers":');
    }
  });

  it('changes nothing on a POST without the Bearer token', async () => {
    const count = async () =>
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM editions').first<{ n: number }>())!.n;
    const before = await count();
    for (const authorization of ['', 'Bearer ', `Bearer ${ADMIN_TOKEN} `.repeat(2)]) {
      const response = await request('/admin/digest', {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{}',
      });
      expect([400, 401]).toContain(response.status);
    }
    expect(await count()).toBe(before);
  });
});

describe('WWW-Authenticate only on admin 401s', () => {
  it('challenges a script with Bearer and a browser with Basic', async () => {
    const script = await request('/admin/stats');
    expect(script.status).toBe(401);
    expect(challengeOf(script)).toMatch(/^Bearer realm="papers-digest admin"/);
    const browser = await request('/admin', { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(401);
    expect(challengeOf(browser)).toMatch(/^Basic realm="papers-digest admin"/);
  });

  it('challenges a state change sent with Basic credentials to use Bearer', async () => {
    const response = await request('/admin/digest', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toBe('Bearer realm="papers-digest admin"');
  });

  it('sends no challenge with a webhook signature rejection', async () => {
    const response = await signedWebhook(
      { type: 'email.delivered', data: { to: ['x@example.org'] } },
      { secret: `whsec_${btoa('an-attacker-secret-of-32-bytes!!')}` },
    );
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toBeNull();
  });

  it('sends no challenge when a signed link is refused', async () => {
    for (const path of [
      '/unsubscribe?token=forged.token',
      '/preferences?token=',
      '/feedback?token=a.1.b&paper=2401.00001&vote=up',
      '/feed?token=x',
    ]) {
      const response = await request(path, { headers: { accept: 'application/json' } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(challengeOf(response), path).toBeNull();
    }
  });

  // onError answers are built after the error escaped the route: the headers set around it
  // (CSP, nosniff, no-store on admin) must still be there.
  it('keeps the security headers on every refusal', async () => {
    const refusals = [
      await request('/admin/stats'),
      await signedWebhook({ type: 'email.sent', data: {} }, { secret: `whsec_${btoa('x'.repeat(32))}` }),
      await request('/unsubscribe?token=forged'),
    ];
    for (const response of refusals) {
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(refusals[0]!.headers.get('cache-control')).toBe('no-store');
    expect(refusals[2]!.headers.get('cache-control')).toBe('no-store');
  });

  // The environment is checked before any route runs: a refusal from there (a broken
  // configuration, the development one answering a public host name) skipped the
  // middleware that sets the headers, and went out without CSP, nosniff or frame options.
  it('keeps them when the configuration itself refuses the request', async () => {
    const broken = { ...env, ENVIRONMENT: 'staging' } as unknown as Env;
    const development = {
      ...env,
      ENVIRONMENT: 'development',
      TOKEN_SECRET: undefined,
      ADMIN_TOKEN: undefined,
      RESEND_WEBHOOK_SECRET: undefined,
      EMAIL_HASH_SECRET: undefined,
    } as unknown as Env;
    const refusals = [
      [(await fetchWith(new Request('https://digest.test/'), broken)).response, 500],
      [(await fetchWith(new Request('https://papers.someone.workers.dev/'), development)).response, 503],
    ] as const;
    for (const [response, status] of refusals) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    }
  });
});
