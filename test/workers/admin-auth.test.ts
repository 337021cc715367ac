/**
 * Which challenge an unauthenticated admin request gets, through the Worker's real handler:
 * the Basic prompt exactly when the 401 is a page, the Bearer challenge when it is JSON, with
 * Accept read as the rest of the app reads it (q-values, `+json` dialects; a tie is JSON under
 * /admin/ and a page at the /admin dashboard), so the challenge never disagrees with the body.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../helpers/app';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

async function expectBearerJson(response: Response, what: string) {
  expect(response.status, what).toBe(401);
  expect(response.headers.get('www-authenticate'), what).toMatch(/^Bearer realm="papers-digest admin"/);
  expect(response.headers.get('content-type'), what).toContain('application/json');
  expect(((await response.json()) as { error: { code: string } }).error.code, what).toBe('unauthorized');
}

async function expectBasicPage(response: Response, what: string) {
  expect(response.status, what).toBe(401);
  expect(response.headers.get('www-authenticate'), what).toMatch(/^Basic realm="papers-digest admin"/);
  expect(response.headers.get('content-type'), what).toContain('text/html');
  expect(await response.text(), what).toContain('Admin login required');
}

describe('admin auth challenge by Accept', () => {
  it('answers text/html;q=0 on the API with the Bearer challenge and JSON, as its errors', async () => {
    for (const path of ['/admin/stats', '/admin/subscribers/export']) {
      await expectBearerJson(await request(path, { headers: { accept: 'text/html;q=0' } }), path);
    }
    // Refusing pages and naming no JSON is a tie at q=0, and the dashboard's errors are pages.
    await expectBasicPage(await request('/admin', { headers: { accept: 'text/html;q=0' } }), '/admin');
  });

  it.each([
    'application/vnd.api+json',
    'application/json;q=0.9, text/html;q=0',
    'application/json, text/html;q=0.5',
    'text/html;q=0.1, application/problem+json',
  ])('answers %s with the Bearer challenge and JSON', async (accept) => {
    for (const path of ['/admin', '/admin/stats', '/admin/subscribers/export']) {
      await expectBearerJson(await request(path, { headers: { accept } }), `${path} ${accept}`);
    }
  });

  it('prompts a browser for Basic auth with a page, and lets it in with the token as password', async () => {
    for (const path of ['/admin', '/admin/stats', '/admin/subscribers/export']) {
      await expectBasicPage(await request(path, { headers: { accept: BROWSER } }), path);
    }
    const login = await request('/admin', {
      headers: { accept: BROWSER, authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
    });
    expect(login.status).toBe(200);
  });

  it('breaks a tie as the error answers do: JSON for the API, a page for the dashboard', async () => {
    for (const accept of [undefined, '*/*', 'text/html, application/json']) {
      const headers: Record<string, string> = accept ? { accept } : {};
      await expectBearerJson(await request('/admin/stats', { headers }), `/admin/stats ${accept}`);
      await expectBasicPage(await request('/admin', { headers }), `/admin ${accept}`);
    }
  });

  it('never prompts a request with a JSON body for Basic auth', async () => {
    const response = await request('/admin/stats', {
      headers: { accept: BROWSER, 'content-type': 'application/json' },
    });
    await expectBearerJson(response, 'a JSON body');
  });
});
