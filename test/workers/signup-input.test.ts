/**
 * Unusual but legitimate sign-up input, through the real Worker and real D1: bodies as real
 * forms and scripts send them (a field given twice, one input per interest, a script
 * posting the form encoding but asking for JSON), and what each is recorded as. Bad input
 * gets a clear 400 (a page for the form, JSON for API clients) with everything typed kept.
 */
import { describe, expect, it } from 'vitest';
import { BASE_URL, request } from '../helpers/app';
import { emailsTo, linkIn, local, nextIp, postForm, rowOf } from '../helpers/subscribers';

/** A form body sent as is (URLSearchParams or FormData keep repeated fields). */
function postBody(path: string, body: URLSearchParams | FormData, headers: Record<string, string> = {}) {
  return request(path, {
    method: 'POST',
    headers: { origin: BASE_URL, 'cf-connecting-ip': nextIp(), ...headers },
    body,
  });
}

async function confirmLatest(email: string) {
  const link = linkIn((await emailsTo(email)).at(-1)!.text, '/confirm');
  expect((await postForm(local(link), {})).status).toBe(200);
  return (await rowOf(email))!;
}

describe('consent method', () => {
  it('records a script that posts the form encoding but asks for JSON as an API sign-up', async () => {
    const response = await postForm(
      '/subscribe',
      { email: 'script@example.org', interests: 'RLHF' },
      { accept: 'application/json' },
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'pending_confirmation' });
    expect((await rowOf('script@example.org'))!.consent_method).toBe('api');
    expect(await confirmLatest('script@example.org')).toMatchObject({
      status: 'active',
      consent_method: 'api',
    });
  });

  it('still records a browser form as a form sign-up', async () => {
    const response = await postForm(
      '/subscribe',
      { email: 'browser@example.org' },
      { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    );
    expect(response.status).toBe(200);
    expect(await confirmLatest('browser@example.org')).toMatchObject({ consent_method: 'form' });
  });
});
