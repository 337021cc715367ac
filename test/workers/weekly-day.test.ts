/**
 * The weekday of a weekly digest, as every page names it, through the real Worker and D1.
 * The sign-up form (and the JSON API) may ask for a day (send_weekday, validated as the
 * preferences' field); one not asked for is the column's default (Monday) for a new
 * subscription, while an unsubscribed subscriber coming back keeps the day chosen before
 * (a sign-up changes only what it asks for). The day asked for travels through the double
 * opt-in: the confirmation email, the confirm page, a held newer sign-up's comparison
 * and, once confirmed, the subscriber's row.
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
  postJson,
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
  it('can be chosen on the sign-up form, whose select says it is for weekly digests only', async () => {
    const html = await (await request('/')).text();
    const frequency = /<select id="frequency"[^>]*>/.exec(html)?.[0] ?? '';
    expect(frequency).toContain('aria-describedby="frequency-hint"');
    const hint = /<span class="hint" id="frequency-hint">(.*?)<\/span>/s.exec(html)?.[1] ?? '';
    expect(text(hint)).toBe('Daily, or weekly on the day you choose.');
    expect(html).toMatch(/<option value="weekly"[^>]*>\s*Weekly\s*<\/option>/);
    expect(html).not.toContain('(Mondays)');

    expect(html).toContain('<label for="send_weekday">Day (weekly digests)</label>');
    const dayHint = /<span class="hint" id="send_weekday-hint">(.*?)<\/span>/s.exec(html)?.[1] ?? '';
    expect(text(dayHint)).toBe(
      "Only used for weekly digests. If you are coming back, 'Monday, or as before' keeps your earlier day.",
    );
    const select = /<select id="send_weekday"[^>]*>.*?<\/select>/s.exec(html)?.[0] ?? '';
    expect(select).toContain('name="send_weekday"');
    expect(select).toContain('aria-describedby="send_weekday-hint"');
    // Nothing chosen by default: a returning subscriber keeps their day, a new one gets Monday.
    expect(select).toMatch(/<option value="" selected="">\s*Monday, or as before\s*<\/option>/);
    expect(select).toMatch(/<option value="5">\s*Friday\s*<\/option>/);
    expect([...select.matchAll(/<option /g)]).toHaveLength(8);
    // Beside "How often": the same row, as on the preferences page.
    const row =
      /<div class="row">(?:(?!<div class="row">).)*?<\/select>(?:(?!<div class="row">).)*?<\/select>/s.exec(
        html.slice(html.indexOf('<select id="frequency"') - 400),
      )?.[0];
    expect(row).toContain('id="send_weekday"');
  });

  it('is the day chosen on the form: email, confirm page and row say Friday', async () => {
    const email = 'friday-form@example.com';
    const response = await postForm('/subscribe', {
      email,
      frequency: 'weekly',
      send_weekday: '5',
      send_hour: '7',
      time_zone: 'UTC',
    });
    expect(response.status).toBe(200);
    const mail = (await emailsTo(email)).at(-1)!;
    expect(text(mail.text)).toContain('Your digest: Weekly, on Fridays, at 07:00 (UTC)');
    expect(mail.html).toContain('Fridays');
    const link = local(linkIn(mail.text, '/confirm'));
    expect(text(await (await request(link)).text())).toContain('every Friday at 07:00');
    expect((await rowOf(email))!.status).toBe('pending');
    const confirmed = text(await (await postForm(link, {})).text());
    expect(confirmed).toContain('every Friday at 07:00');
    expect(await rowOf(email)).toMatchObject({ status: 'active', frequency: 'weekly', send_weekday: 5 });
  });

  it('is taken from a JSON sign-up, as a number or a numeric string', async () => {
    for (const [email, day, name, stored] of [
      ['saturday-json@example.com', 6, 'Saturdays', 6],
      ['sunday-json@example.com', '0', 'Sundays', 0],
    ] as const) {
      const response = await postJson('/subscribe', { email, frequency: 'weekly', send_weekday: day });
      expect(response.status).toBe(202);
      const mail = (await emailsTo(email)).at(-1)!;
      expect(text(mail.text)).toContain(`Weekly, on ${name}, at 08:00 (UTC)`);
      expect((await postForm(local(linkIn(mail.text, '/confirm')), {})).status).toBe(200);
      expect(await rowOf(email)).toMatchObject({ status: 'active', send_weekday: stored });
    }
  });

  it('replaces the day chosen before when a returning subscriber asks for another', async () => {
    const email = 'back-on-thursday@example.com';
    await unsubscribedOnWednesdays(email);

    await postJson('/subscribe', { email, frequency: 'weekly', send_weekday: 4 });
    const mail = (await emailsTo(email)).at(-1)!;
    expect(text(mail.text)).toContain('Weekly, on Thursdays,');
    await postForm(local(linkIn(mail.text, '/confirm')), {});
    expect(await rowOf(email)).toMatchObject({ status: 'active', send_weekday: 4 });
  });

  it('is kept from a daily sign-up, for a later switch to weekly', async () => {
    const email = 'daily-friday@example.com';
    await postForm('/subscribe', { email, frequency: 'daily', send_weekday: '5', time_zone: 'UTC' });
    const mail = (await emailsTo(email)).at(-1)!;
    expect(text(mail.text)).toContain('Your digest: Daily at 08:00 (UTC)');
    await postForm(local(linkIn(mail.text, '/confirm')), {});
    expect(await rowOf(email)).toMatchObject({ status: 'active', frequency: 'daily', send_weekday: 5 });
  });

  it('refuses a day that is not one, on the form with everything typed kept', async () => {
    const email = 'funday@example.com';
    const response = await postForm('/subscribe', {
      email,
      interests: 'graph neural networks',
      frequency: 'weekly',
      send_weekday: '8',
      send_hour: '7',
      time_zone: 'Europe/Berlin',
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<a href="#send_weekday">Day for weekly digests: Choose a day of the week.</a>');
    expect(html).toMatch(/<p class="error" id="send_weekday-error">.*Choose a day of the week\.<\/p>/s);
    const select = /<select id="send_weekday"[^>]*>.*?<\/select>/s.exec(html)?.[0] ?? '';
    expect(select).toContain('aria-describedby="send_weekday-hint send_weekday-error"');
    expect(select).toContain('aria-invalid="true"');
    expect(select).toMatch(/<option value="8" selected="">8<\/option>/);
    expect([...select.matchAll(/selected=""/g)]).toHaveLength(1);
    expect(html).toContain('value="funday@example.com"');
    expect(html).toContain('>graph neural networks</textarea>');
    expect(html).toMatch(/<option value="weekly" selected="">/);
    expect(html).toMatch(/<option value="Europe\/Berlin" selected="">/);
    expect(await rowOf(email)).toBeNull();
    expect(await emailsTo(email)).toHaveLength(0);
  });

  it('refuses a day that is not one from a JSON client with a 400 naming the field', async () => {
    for (const day of [8, 'funday', -1, 2.5]) {
      const email = `bad-day-${String(day).replace(/\W/g, '')}@example.com`;
      const response = await postJson('/subscribe', { email, frequency: 'weekly', send_weekday: day });
      expect(response.status, String(day)).toBe(400);
      const body = await response.json<{ error: { code: string; fields: Record<string, string[]> } }>();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.fields).toEqual({ send_weekday: ['Choose a day of the week.'] });
      expect(await rowOf(email)).toBeNull();
    }
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
    await unsubscribedOnWednesdays(email);

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

  it('is a row beside both sets of settings when a newer sign-up is held and either is weekly', async () => {
    const email = 'held-weekly@example.com';
    const fields = { email, send_hour: '8', time_zone: 'UTC' };
    await postForm('/subscribe', { ...fields, frequency: 'weekly', interests: 'robots' });
    await postForm('/subscribe', { ...fields, frequency: 'daily', interests: 'robotics' });
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);
    const html = await (await request(local(linkIn(mails[0]!.text, '/confirm')))).text();
    expect(text(cellsOf(html, 'Frequency'))).toBe('WeeklyDaily');
    expect(text(cellsOf(html, 'Day'))).toBe('MondayNone (daily)');
  });

  it('shows a newer sign-up that changes only the day, and applies it when chosen', async () => {
    const email = 'held-day@example.com';
    const fields = { email, interests: 'robots', frequency: 'weekly', send_hour: '8', time_zone: 'UTC' };
    await postForm('/subscribe', { ...fields, send_weekday: '2' });
    await postForm('/subscribe', { ...fields, send_weekday: '5' });
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);
    expect(text(mails[0]!.text)).toContain('Weekly, on Tuesdays,');
    const link = local(linkIn(mails[0]!.text, '/confirm'));
    const html = await (await request(link)).text();
    expect(text(cellsOf(html, 'Day'))).toBe('TuesdayFriday');
    const rows = [...html.matchAll(/<th scope="row">(.*?)<\/th>/g)].map((match) => match[1]);
    expect(rows).toEqual(['Interests', 'Frequency', 'Day', 'Send hour', 'Time zone']);
    const newer = /<form method="post" action="([^"]*&amp;held=[^"]*)"/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, '&');
    expect(newer).toBeDefined();
    expect((await postForm(newer!, {})).status).toBe(200);
    expect(await rowOf(email)).toMatchObject({ status: 'active', frequency: 'weekly', send_weekday: 5 });
  });

  it('leaves out the day, and offers no choice over it alone, when both sign-ups are daily', async () => {
    const email = 'held-daily-day@example.com';
    const fields = { email, interests: 'robots', frequency: 'daily', send_hour: '8', time_zone: 'UTC' };
    await postForm('/subscribe', { ...fields, send_weekday: '2' });
    await postForm('/subscribe', { ...fields, send_weekday: '5' });
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);
    const html = await (await request(local(linkIn(mails[0]!.text, '/confirm')))).text();
    expect(html).not.toContain('<table class="compare">');
    expect(text(html)).toContain('every day at 08:00 (UTC)');
  });
});

/** A weekly subscriber who chose Wednesday, then unsubscribed: free to sign up again. */
async function unsubscribedOnWednesdays(email: string) {
  const row = await subscribeAndConfirm(email, { frequency: 'weekly' });
  const preferences = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
  expect((await postForm(preferences, { send_weekday: '3' })).status).toBe(200);
  const unsubscribe = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
  await postForm(local(unsubscribe), { 'List-Unsubscribe': 'One-Click' });
  await ageMailRequests(11);
}

/** The cells of a row of the confirm page's comparison table. */
const cellsOf = (html: string, label: string) =>
  new RegExp(`<th scope="row">${label}</th>(.*?)</tr>`, 's').exec(html)?.[1] ?? '';
