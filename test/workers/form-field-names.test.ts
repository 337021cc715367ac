/**
 * Misspelled field names in form posts, through the real Worker and D1: a name that clearly
 * means one field (`timezone`, `sendhour`, `send-hour`, `interest`) is read as that field,
 * two names for one field that disagree are refused naming the right one with what was
 * typed kept, and the fields our own form and the bot checks add are never refused. JSON
 * clients still get an error for an unknown key, now saying which field it likely meant.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl } from '../../src/links';
import {
  emailsTo,
  linkIn,
  local,
  postForm,
  postJson,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';

/** Signs up by form with `fields`, confirms the emailed link, and returns the active row. */
async function signUpAndConfirm(email: string, fields: Record<string, string>) {
  const response = await postForm('/subscribe', { email, ...fields });
  expect(response.status).toBe(200);
  const link = local(linkIn((await emailsTo(email)).at(-1)!.text, '/confirm'));
  expect((await postForm(link, {})).status).toBe(200);
  return rowOf(email);
}

describe('form field names that clearly mean a field', () => {
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    [
      'timezone, sendhour and interest',
      { timezone: 'Europe/Berlin', sendhour: '18', interest: 'diffusion models' },
      { time_zone: 'Europe/Berlin', send_hour: 18, interests: 'diffusion models' },
    ],
    [
      'send-hour and Time-Zone, whatever the case and separators',
      { 'send-hour': '6', 'Time-Zone': 'Asia/Tokyo' },
      { send_hour: 6, time_zone: 'Asia/Tokyo' },
    ],
    [
      'a misspelled field whose right one is blank, and both names of interests',
      { time_zone: '', timezone: 'America/New_York', interests: 'RLHF', interest: 'cs.CL' },
      { time_zone: 'America/New_York', interests: 'RLHF; cs.CL' },
    ],
    ['two misspellings that agree', { sendHour: '9', 'send-hour': '9' }, { send_hour: 9 }],
  ])('reads %s as the fields they mean', async (_, fields, expected) => {
    const email = `alias-${Object.keys(fields).join('-').toLowerCase()}@example.net`;
    expect(await signUpAndConfirm(email, fields)).toMatchObject(expected);
  });

  it('validates the value as the field it means, and shows the error there', async () => {
    const response = await postForm('/subscribe', { email: 'bad-zone@example.net', timezone: 'Mars/Base' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Choose a valid time zone');
    expect(html).toMatch(/id="time_zone-error"/);
    expect(await emailsTo('bad-zone@example.net')).toHaveLength(0);
  });

  it('refuses two names for one field that disagree, naming the right one and keeping both values', async () => {
    const response = await postForm('/subscribe', {
      email: 'conflict@example.net',
      interests: 'kept text',
      time_zone: 'UTC',
      timezone: 'Europe/Berlin',
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('The form gave time_zone twice: &quot;UTC&quot;, and &quot;Europe/Berlin&quot;');
    expect(html).toContain('send it as time_zone');
    expect(html).toContain('kept text');
    expect(html).toContain('value="conflict@example.net"');
    expect(await rowOf('conflict@example.net')).toBeNull();
  });

  it('never refuses what our form and its bot checks add, nor an unrelated field', async () => {
    const response = await postForm('/subscribe', {
      email: 'extras@example.net',
      website: '',
      'cf-turnstile-response': '',
      submit: 'Subscribe',
      utm_source: 'newsletter',
    });
    expect(response.status).toBe(200);
    expect(await emailsTo('extras@example.net')).toHaveLength(1);
  });
});

describe('the preferences form', () => {
  it('reads misspelled names as the fields they mean, its unticked checkbox still off', async () => {
    const row = await subscribeAndConfirm('prefs-aliases@example.net', { interests: 'old' });
    const link = local(
      await preferencesUrl(parseConfig(env), { id: row.id, tokenVersion: row.token_version }),
    );
    const saved = await postForm(link, { 'digest-size': '12', timezone: 'Europe/Paris', interest: 'new' });
    expect(saved.status).toBe(200);
    expect(await rowOf('prefs-aliases@example.net')).toMatchObject({
      digest_size: 12,
      time_zone: 'Europe/Paris',
      interests: 'new',
      always_send: 0,
    });
  });
});

describe('JSON clients', () => {
  it('still get an error for a misspelled key, saying which field it likely meant', async () => {
    const response = await postJson('/subscribe', { email: 'json-typo@example.net', timezone: 'UTC' });
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { fields: Record<string, string[]> } }>();
    expect(body.error.fields.timezone?.[0]).toContain('did you mean time_zone?');
  });
});
