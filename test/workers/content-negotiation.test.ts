/**
 * Page or JSON: API clients that name a `+json` dialect (problem+json, vnd.api+json) in
 * Accept or Content-Type get JSON errors and answers, and Accept is weighed by q-value,
 * as RFC 9110 reads it, through the real Worker; browsers' headers still get pages. POST
 * /data answers a script preferring JSON in JSON, as sign-up does.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { dataLinkUrl, preferencesUrl, unsubscribeUrl } from '../../src/links';
import { acceptPrefersJson } from '../../workers/media-type';
import { request } from '../helpers/app';
import { emailsTo, h1, linkIn, local, nextIp, postForm, postJson, rowOf } from '../helpers/subscribers';

const config = parseConfig(env);

describe('acceptPrefersJson', () => {
  it.each([
    ['application/json', true],
    ['application/problem+json', true],
    ['application/vnd.api+json', true],
    ['Application/Problem+JSON; charset=utf-8', true],
    ['text/html;q=0.9, application/json', true],
    ['text/html, application/json;q=0.5', false],
    ['application/json;q=0', false],
    ['application/json;q=0, text/html', false],
    ['application/*;q=0.9, text/html;q=0.5', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
    ['*/*', false],
    ['', false],
    ['application/json;q=0.5, */*;q=0.9', false],
    ['text/*;q=0.2, application/json;q=0.3', true],
    ['application/json;q=abc', true],
    ['image/png', false],
  ])('%j → %s', (accept, expected) => {
    expect(acceptPrefersJson(accept)).toBe(expected);
  });

  it('gives a tie to the caller’s default', () => {
    expect(acceptPrefersJson(undefined, 'json')).toBe(true);
    expect(acceptPrefersJson('*/*', 'json')).toBe(true);
    expect(acceptPrefersJson('text/html', 'json')).toBe(false);
  });
});

type ErrorBody = { error: { code: string } };

describe('errors through the Worker', () => {
  for (const accept of [
    'application/problem+json',
    'application/vnd.api+json',
    'text/html;q=0.9, application/json',
  ]) {
    it(`answers a 404 in JSON for Accept: ${accept}`, async () => {
      const response = await request('/no-such-page', { headers: { accept } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect((await response.json<ErrorBody>()).error.code).toBe('not_found');
    });
  }

  it('answers a page when JSON is refused (q=0), and for a browser', async () => {
    for (const accept of ['application/json;q=0', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      const response = await request('/no-such-page', { headers: { accept } });
      expect(response.headers.get('content-type')).toContain('text/html');
    }
  });

  it('answers a +json request body in JSON, its errors too', async () => {
    const response = await request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.api+json', 'cf-connecting-ip': nextIp() },
      body: '{"email": "not-an-address"',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect((await response.json<ErrorBody>()).error.code).toBe('invalid_json');
  });

  it('answers a form post from a problem+json client in JSON', async () => {
    const response = await postForm('/subscribe', { email: 'nope' }, { accept: 'application/problem+json' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect((await response.json<ErrorBody>()).error.code).toBe('validation_failed');
  });
});

describe('POST /data', () => {
  it('answers a form-encoded request from a client preferring JSON in JSON, its errors too', async () => {
    const accepted = await postForm(
      '/data',
      { email: 'export-me@example.net', action: 'export' },
      { accept: 'application/json' },
    );
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 'link_sent_if_known', email: 'export-me@example.net' });

    const invalid = await postForm(
      '/data',
      { email: 'nope', action: 'export' },
      { accept: 'application/json' },
    );
    expect(invalid.status).toBe(400);
    const body = await invalid.json<ErrorBody & { error: { fields: Record<string, string[]> } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields)).toEqual(['email']);
  });

  it('still answers a browser with pages', async () => {
    const page = await postForm('/data', { email: 'nope', action: 'export' });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});

describe('signed links asked by an API client', () => {
  // A JSON client's errors on these links were JSON (app.onError) while their successes were
  // pages: one shape for failure, HTML to parse for success.
  it('answers confirm, unsubscribe and a data-link request in JSON, as their errors', async () => {
    const email = 'json-links@example.net';
    expect((await postJson('/subscribe', { email, interests: 'RLHF' })).status).toBe(202);
    const confirm = local(linkIn((await emailsTo(email)).at(-1)!.text, '/confirm'));

    const confirmed = await postJson(confirm, {});
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get('content-type')).toContain('application/json');
    expect(await confirmed.json()).toMatchObject({
      status: 'confirmed',
      changed: true,
      preferences: { email, status: 'active', interests: 'RLHF' },
    });
    // A second click proves nothing current: as the page, no account in the answer.
    const again = await postJson(confirm, {});
    expect(await again.json()).toEqual({ status: 'confirmed', changed: false });
    const garbled = await postJson(`${confirm}x`, {});
    expect(garbled.status).toBe(400);
    expect((await garbled.json<ErrorBody>()).error.code).toBe('invalid_link');

    const row = (await rowOf(email))!;
    const subject = { id: row.id, tokenVersion: row.token_version };
    const exported = await postJson(
      local(`${await preferencesUrl(config, subject)}`).replace('?', '/export?'),
      {},
    );
    expect(exported.status).toBe(202);
    expect(await exported.json()).toEqual({ status: 'link_sent', email });

    const unsubscribed = await postJson(local(await unsubscribeUrl(config, subject)), {});
    expect(unsubscribed.status).toBe(200);
    expect(await unsubscribed.json()).toEqual({ status: 'unsubscribed', changed: true });
  });

  it('answers the erasure in JSON too', async () => {
    const email = 'json-erase@example.net';
    expect((await postJson('/subscribe', { email })).status).toBe(202);
    expect((await postJson(local(linkIn((await emailsTo(email)).at(-1)!.text, '/confirm')), {})).status).toBe(
      200,
    );
    const row = (await rowOf(email))!;
    const link = await dataLinkUrl(config, { id: row.id, tokenVersion: row.token_version }, 'erase');
    const erased = await postJson(local(link), {});
    expect(erased.status).toBe(200);
    expect(await erased.json()).toEqual({ status: 'erased' });
    expect(await rowOf(email)).toBeNull();
  });

  it('still answers a browser with pages', async () => {
    const email = 'page-links@example.net';
    expect((await postForm('/subscribe', { email })).status).toBe(200);
    const confirm = local(linkIn((await emailsTo(email)).at(-1)!.text, '/confirm'));
    const confirmed = await postForm(confirm, {});
    expect(confirmed.headers.get('content-type')).toContain('text/html');
    expect(h1(await confirmed.text())).toBe('Subscription confirmed');
  });
});
