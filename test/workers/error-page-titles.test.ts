/**
 * The error pages a subscriber meets from a mailed link, through the real Worker: their
 * <title> and <h1> say what happened (the link is mistyped, has expired, no longer works),
 * as every other page's do, so a screen reader's first words and a tab's name are the news
 * itself, not "Something is not right" above every one of them. JSON clients are answered
 * as before.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { confirmUrl, preferencesUrl, unsubscribeUrl } from '../../src/links';
import { request } from '../helpers/app';
import { h1, local, postForm, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);

const titleOf = (html: string) => /<title>(.*?)<\/title>/s.exec(html)?.[1];

async function expectPage(response: Response, status: number, heading: string, message: RegExp) {
  expect(response.status).toBe(status);
  const html = await response.text();
  expect(titleOf(html)).toBe(`${heading} · Papers Digest`);
  expect(h1(html)).toBe(heading);
  expect(html).toMatch(message);
}

describe('error pages of mailed links', () => {
  it('say a mistyped or cut link is not valid', async () => {
    await expectPage(
      await request('/confirm?token=abc'),
      400,
      'This link is not valid',
      /opened the whole link/,
    );
  });

  it('say an expired confirmation link has expired', async () => {
    await postForm('/subscribe', { email: 'late-title@example.com' });
    const pending = (await rowOf('late-title@example.com'))!;
    const expired = await confirmUrl(
      config,
      { id: pending.id, tokenVersion: pending.token_version },
      new Date(Date.now() - 8 * 86_400_000),
    );
    await expectPage(await request(local(expired)), 410, 'This link has expired', /Sign up again/);
  });

  it('say a preferences link stopped working once unsubscribed', async () => {
    const row = await subscribeAndConfirm('left-title@example.com');
    const subscriber = rowToSubscriber(row);
    expect((await postForm(local(await unsubscribeUrl(config, subscriber)), {})).status).toBe(200);
    await expectPage(
      await request(local(await preferencesUrl(config, subscriber))),
      410,
      'This link no longer works',
      /stopped working when you unsubscribed/,
    );
  });

  it('answer JSON clients as before', async () => {
    const response = await request('/confirm?token=abc', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_link' } });
  });
});
