/**
 * The weekday of a weekly digest, as every page names it, through the real Worker and D1.
 * The sign-up form asks for no day: a new subscription gets the column's default (Monday),
 * while an unsubscribed subscriber coming back keeps the day chosen before (a sign-up
 * changes only what it asks for). The form said "Weekly (Mondays)" to both; it now says
 * which, and the confirm pages, the confirmed page and the preferences name the real day.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { request } from '../helpers/app';
import {
  ageMailRequests,
  emailsTo,
  linkIn,
  local,
  postForm,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';

const config = parseConfig(env);
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .replace(/&#39;/g, "'");

describe('the weekday of a weekly digest', () => {
  it('is not promised as Monday to everyone by the sign-up form, whose hint says when it is', async () => {
    const html = await (await request('/')).text();
    const select = /<select id="frequency"[^>]*>/.exec(html)?.[0] ?? '';
    expect(select).toContain('aria-describedby="frequency-hint"');
    const hint = /<span class="hint" id="frequency-hint">(.*?)<\/span>/s.exec(html)?.[1] ?? '';
    expect(text(hint)).toBe('Weekly on Mondays, or on the day you chose before if you are coming back.');
    expect(html).toMatch(/<option value="weekly"[^>]*>\s*Weekly\s*<\/option>/);
    expect(html).not.toContain('(Mondays)');
  });

  it('is Monday for a new subscriber, as the confirm and confirmed pages say', async () => {
    const email = 'new-weekly@example.com';
    await postForm('/subscribe', { email, frequency: 'weekly', send_hour: '7', time_zone: 'UTC' });
    const link = local(linkIn((await emailsTo(email)).at(-1)!.text, '/confirm'));
    expect(text(await (await request(link)).text())).toContain('every Monday at 07:00');
    const confirmed = text(await (await postForm(link, {})).text());
    expect(confirmed).toContain('will receive Papers Digest every Monday at 07:00');
    expect(await rowOf(email)).toMatchObject({ status: 'active', frequency: 'weekly', send_weekday: 1 });
  });

  it('stays the day chosen before for a subscriber coming back, and every page says that day', async () => {
    const email = 'wednesday@example.com';
    const row = await subscribeAndConfirm(email, { frequency: 'weekly' });
    const preferences = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    expect((await postForm(preferences, { send_weekday: '3' })).status).toBe(200);
    const unsubscribe = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    await postForm(local(unsubscribe), { 'List-Unsubscribe': 'One-Click' });
    await ageMailRequests(11);

    await postForm('/subscribe', { email, frequency: 'weekly', send_hour: '9', time_zone: 'UTC' });
    const mail = (await emailsTo(email)).at(-1)!;
    expect(mail.text).toContain('Wednesday');
    const link = local(linkIn(mail.text, '/confirm'));
    expect(text(await (await request(link)).text())).toContain('every Wednesday at 09:00');
    const confirmed = await postForm(link, {});
    expect(text(await confirmed.text())).toContain('every Wednesday at 09:00');
    const active = (await rowOf(email))!;
    expect(active).toMatchObject({ status: 'active', frequency: 'weekly', send_weekday: 3 });

    const page = await (
      await request(
        local(await preferencesUrl(config, { id: active.id, tokenVersion: active.token_version })),
      )
    ).text();
    expect(text(page)).toContain('You receive Papers Digest every Wednesday at 09:00');
    const weekday = /<select id="send_weekday".*?<\/select>/s.exec(page)?.[0] ?? '';
    expect(weekday).toMatch(/<option value="3" selected="">\s*Wednesday\s*<\/option>/);
    expect([...weekday.matchAll(/selected=""/g)]).toHaveLength(1);
    expect(page).toContain('<label for="send_weekday">Day for weekly digests</label>');
  });

  it('is named beside both sets of settings when a newer sign-up is held: confirming keeps it', async () => {
    const email = 'held-weekly@example.com';
    const fields = { email, send_hour: '8', time_zone: 'UTC' };
    await postForm('/subscribe', { ...fields, frequency: 'weekly', interests: 'robots' });
    await postForm('/subscribe', { ...fields, frequency: 'daily', interests: 'robotics' });
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);
    const html = await (await request(local(linkIn(mails[0]!.text, '/confirm')))).text();
    const row = /<th scope="row">Frequency<\/th>(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    expect(text(row)).toBe('Weekly, on MondaysDaily');
  });
});
