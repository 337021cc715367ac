/**
 * Cloudflare Turnstile on the public forms (sign-up and /data, which mails an address on
 * request), through the real Worker with siteverify faked at the HTTP boundary.
 * siteverify's "success" alone is not enough: a token solved on another site using the
 * same site key, or for our other form, or long ago, is refused (403, the form kept,
 * nothing written or sent); a token for this form on our host passes; without a secret
 * nothing changes. Cloudflare's test secret answers for no host or action of ours
 * and still works, so development with the documented test keys does.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE_URL, fetchWith, request } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { counts, emailsTo, nextIp, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const SITEVERIFY = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
const SECRET = 'turnstile-secret-of-this-test-run';
const CLOUDFLARE_TEST_SECRET = '1x0000000000000000000000000000000AA';
const SITE_KEY = 'turnstile-site-key-of-this-test-run';
const withTurnstile: Env = { ...env, TURNSTILE_SECRET_KEY: SECRET, TURNSTILE_SITE_KEY: SITE_KEY };

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
/** A successful answer, as siteverify gives it for a token solved on our host (digest.test). */
const solved = (fields: Record<string, unknown> = {}) => ({
  success: true,
  'error-codes': [],
  challenge_ts: minutesAgo(0),
  hostname: 'digest.test',
  action: 'subscribe',
  cdata: '',
  ...fields,
});
/** What siteverify answers for each token our secret is asked about. */
const ANSWERS: Record<string, () => object> = {
  'subscribe-token': () => solved(),
  'subscribe-token-4-minutes-old': () => solved({ challenge_ts: minutesAgo(4) }),
  'data-token': () => solved({ action: 'data' }),
  'no-action-token': () => solved({ action: undefined }),
  'other-host-token': () => solved({ hostname: 'copycat.example' }),
  'stale-token': () => solved({ challenge_ts: minutesAgo(6) }),
};

const verifications: URLSearchParams[] = [];
function siteverify() {
  fakeHttp.use(
    http.post(SITEVERIFY, async ({ request: req }) => {
      const form = new URLSearchParams();
      for (const [name, value] of (await req.formData()).entries()) {
        if (typeof value === 'string') form.set(name, value);
      }
      verifications.push(form);
      const token = form.get('response') ?? '';
      // Cloudflare's test secret passes only the dummy token, and names no host or action of ours.
      if (form.get('secret') === CLOUDFLARE_TEST_SECRET && token === 'XXXX.DUMMY.TOKEN.XXXX') {
        return HttpResponse.json({
          success: true,
          'error-codes': [],
          challenge_ts: minutesAgo(0),
          hostname: 'example.com',
          metadata: { result_with_testing_key: true },
        });
      }
      const answer = form.get('secret') === SECRET ? ANSWERS[token] : undefined;
      return HttpResponse.json(
        answer ? answer() : { success: false, 'error-codes': ['invalid-input-response'] },
      );
    }),
  );
}

async function post(
  path: string,
  fields: Record<string, string>,
  options: { json?: boolean; bindings?: Env } = {},
): Promise<Response> {
  const headers: Record<string, string> = options.json
    ? { 'content-type': 'application/json' }
    : { 'content-type': 'application/x-www-form-urlencoded', origin: BASE_URL };
  const body = options.json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  const { response } = await fetchWith(
    new Request(`${BASE_URL}${path}`, {
      method: 'POST',
      headers: { ...headers, 'cf-connecting-ip': nextIp() },
      body,
    }),
    options.bindings ?? withTurnstile,
  );
  return response;
}

/** Posts the form with this token: siteverify is asked about it, and the answer is a 403. */
async function refusedWith(path: string, fields: Record<string, string>, token: string): Promise<Response> {
  const response = await post(path, { ...fields, 'cf-turnstile-response': token });
  expect(response.status).toBe(403);
  expect(verifications.at(-1)!.get('response')).toBe(token);
  return response;
}

describe('Turnstile on the sign-up form', () => {
  it("shows the widget with the form's own action when a site key is set, and none without", async () => {
    const { response } = await fetchWith(new Request(`${BASE_URL}/`), withTurnstile);
    const html = await response.text();
    expect(html).toContain(
      `<div class="cf-turnstile" data-sitekey="${SITE_KEY}" data-action="subscribe" style="margin-top:1rem">`,
    );
    expect(await (await request('/')).text()).not.toContain('cf-turnstile');
  });

  it('accepts a sign-up whose challenge was solved for it, on our host, in the last five minutes', async () => {
    siteverify();
    const response = await post('/subscribe', {
      email: 'human@example.com',
      'cf-turnstile-response': 'subscribe-token',
    });
    expect(response.status).toBe(200);
    expect(verifications.at(-1)!.get('secret')).toBe(SECRET);
    expect(verifications.at(-1)!.get('remoteip')).toMatch(/^198\.51\./);
    expect((await rowOf('human@example.com'))!.status).toBe('pending');

    const slow = await post(
      '/subscribe',
      { email: 'slow-human@example.com', turnstile_token: 'subscribe-token-4-minutes-old' },
      { json: true },
    );
    expect(slow.status).toBe(202);
    expect((await rowOf('slow-human@example.com'))!.status).toBe('pending');
  });

  it('refuses a failed or missing challenge and writes nothing', async () => {
    siteverify();
    const before = await counts();
    const failed = await post('/subscribe', {
      email: 'robot@example.com',
      'cf-turnstile-response': 'bad-token',
    });
    expect(failed.status).toBe(403);
    expect(await failed.text()).toContain('verify you are human');
    const calls = verifications.length;
    const missing = await post('/subscribe', { email: 'robot@example.com' });
    expect(missing.status).toBe(403);
    expect(verifications.length).toBe(calls);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['solved on another site with our site key', 'other-host-token'],
    ['solved for the /data form', 'data-token'],
    ['solved for no action', 'no-action-token'],
    ['solved more than five minutes ago', 'stale-token'],
  ])('refuses a token %s, keeping the form, and writes nothing', async (_, token) => {
    siteverify();
    const before = await counts();
    const form = await refusedWith(
      '/subscribe',
      { email: 'replayed@example.com', interests: 'sparse attention' },
      token,
    );
    const html = await form.text();
    expect(html).toContain('verify you are human');
    expect(html).toContain('value="replayed@example.com"');
    expect(html).toContain('sparse attention</textarea>');

    const json = await post(
      '/subscribe',
      { email: 'replayed@example.com', turnstile_token: token },
      { json: true },
    );
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: { code: 'turnstile_failed' } });
    expect(await counts()).toEqual(before);
    expect(await rowOf('replayed@example.com')).toBeNull();
  });

  it("passes Cloudflare's test keys, whose answer names no host or action of ours", async () => {
    siteverify();
    const response = await post(
      '/subscribe',
      { email: 'developer@example.com', 'cf-turnstile-response': 'XXXX.DUMMY.TOKEN.XXXX' },
      { bindings: { ...env, TURNSTILE_SECRET_KEY: CLOUDFLARE_TEST_SECRET } },
    );
    expect(response.status).toBe(200);
    expect(verifications.at(-1)!.get('secret')).toBe(CLOUDFLARE_TEST_SECRET);
    expect((await rowOf('developer@example.com'))!.status).toBe('pending');
  });
});

describe('Turnstile on the /data form', () => {
  it('shows the widget with its own action when a site key is set, and none without', async () => {
    const { response } = await fetchWith(new Request(`${BASE_URL}/data`), withTurnstile);
    expect(await response.text()).toContain(
      `<div class="cf-turnstile" data-sitekey="${SITE_KEY}" data-action="data" style="margin-top:1rem">`,
    );
    expect(await (await request('/data')).text()).not.toContain('cf-turnstile');
  });

  it('mails no link without a token solved for it, keeping the form; with one, mails the link', async () => {
    siteverify();
    await subscribeAndConfirm('asks-for-data@example.com');
    const mails = (await emailsTo('asks-for-data@example.com')).length;
    const calls = verifications.length;
    const missing = await post('/data', { email: 'asks-for-data@example.com', action: 'erase' });
    expect(missing.status).toBe(403);
    expect(verifications.length).toBe(calls);
    const html = await missing.text();
    expect(html).toContain('verify you are human');
    expect(html).toContain('value="asks-for-data@example.com"');
    expect(html).toMatch(/value="erase" checked/);
    for (const token of ['bad-token', 'subscribe-token', 'other-host-token', 'stale-token']) {
      await refusedWith('/data', { email: 'asks-for-data@example.com', action: 'erase' }, token);
    }
    expect(await emailsTo('asks-for-data@example.com')).toHaveLength(mails);

    const passed = await post('/data', {
      email: 'asks-for-data@example.com',
      action: 'erase',
      'cf-turnstile-response': 'data-token',
    });
    expect(passed.status).toBe(200);
    const sent = await emailsTo('asks-for-data@example.com');
    expect(sent).toHaveLength(mails + 1);
    expect(sent.at(-1)!.text).toContain('/data/erase?token=');
  });

  it('answers a JSON client in JSON: 403 without a token, 202 with turnstile_token', async () => {
    siteverify();
    const missing = await post(
      '/data',
      { email: 'api-client@example.com', action: 'export' },
      { json: true },
    );
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { code: 'turnstile_failed' } });
    const passed = await post(
      '/data',
      { email: 'api-client@example.com', action: 'export', turnstile_token: 'data-token' },
      { json: true },
    );
    expect(passed.status).toBe(202);
    expect(await passed.json()).toEqual({ status: 'link_sent_if_known', email: 'api-client@example.com' });
    expect(verifications.at(-1)!.get('response')).toBe('data-token');
  });
});
