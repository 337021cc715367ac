/**
 * The cap on all requested mail to one mailbox together, through the real Worker and D1:
 * each kind (sign-up mail, export links, erase links) had only its own cap, so anyone who
 * knew an address could have us mail it 9 times a day by mixing kinds. The total holds
 * across kinds, "+tags" and letter cases and under racing requests, answers exactly as a
 * kind's own cap does (silent on the public forms, "ask again tomorrow" to a link holder),
 * leaves other mailboxes alone and rolls with the 24-hour window.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl } from '../../src/links';
import {
  ageMailRequests,
  emailsTo,
  local,
  outbox,
  postForm,
  postJson,
  type Row,
  subscribeAndConfirm,
} from '../helpers/subscribers';

const config = parseConfig(env);

/** What the mailbox's owner has received: every spelling of it, oldest first. */
async function mailboxSubjects(name: string): Promise<string[]> {
  const mailbox = new RegExp(`^${name}(\\+[^@]*)?@example\\.net$`, 'i');
  const mails = (await outbox()).filter((email) => mailbox.test(email.to));
  return mails.sort((a, b) => a.id - b.id).map((email) => email.subject);
}

/** Four emails to the owner's mailbox within a day, of three kinds and several spellings. */
async function fillMailbox(name: string): Promise<Row> {
  const row = await subscribeAndConfirm(`${name}@example.net`);
  await ageMailRequests(11);
  expect((await postJson('/subscribe', { email: `${name}+news@example.net` })).status).toBe(202);
  await ageMailRequests(11);
  expect((await postForm('/subscribe', { email: `${name.toUpperCase()}@example.net` })).status).toBe(200);
  await ageMailRequests(11);
  expect((await postForm('/data', { email: `${name}@Example.NET`, action: 'export' })).status).toBe(200);
  await ageMailRequests(3);
  expect(await mailboxSubjects(name)).toEqual([
    'Confirm your Papers Digest subscription',
    'Confirm your Papers Digest subscription',
    'You are already subscribed to Papers Digest',
    'Your link to download your Papers Digest data',
  ]);
  return row;
}

describe('requested mail to one mailbox, all kinds together', () => {
  it('refuses the 5th email within 24 h whatever its kind, silently on the public forms', async () => {
    await fillMailbox('total');
    // Neither kind is at its own cap (1 export, 0 erase links, 3 sign-up mails but 11 minutes apart).
    const erase = await postForm('/data', { email: 'total@example.net', action: 'erase' });
    await ageMailRequests(3);
    const exported = await postJson('/data', { email: 'total@example.net', action: 'export' });
    // The answers a mailbox under its caps gets, so nothing tells whether it is subscribed.
    expect(erase.status).toBe(200);
    expect(await erase.text()).toContain('we have emailed it a link');
    expect(exported.status).toBe(202);
    expect(await exported.json()).toEqual({ status: 'link_sent_if_known', email: 'total@example.net' });
    expect(await mailboxSubjects('total')).toHaveLength(4);
  });

  it('holds a sign-up back the same way, answering as usual', async () => {
    const row = await subscribeAndConfirm('signs@example.net');
    for (let link = 0; link < 3; link++) {
      await ageMailRequests(3);
      await postForm('/data', { email: 'signs@example.net', action: link === 1 ? 'erase' : 'export' });
    }
    await ageMailRequests(11);
    const form = await postForm('/subscribe', { email: 'signs+again@example.net' });
    const json = await postJson('/subscribe', { email: 'other-signs@example.net' });
    expect(form.status).toBe(200);
    expect(json.status).toBe(202);
    expect(await mailboxSubjects('signs')).toHaveLength(4);
    expect(await emailsTo('other-signs@example.net')).toHaveLength(1);
    expect(row.status).toBe('active');
  });

  it('tells the holder of a preferences link to ask again tomorrow, as the per-kind cap does', async () => {
    const row = await fillMailbox('holder');
    const prefs = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    const eraseLink = prefs.replace('/preferences?', '/preferences/delete?');
    const json = await postJson(eraseLink, {}, { accept: 'application/json' });
    expect(json.status).toBe(429);
    const { error } = await json.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('link_recently_sent');
    expect(error.message).toContain('ask again tomorrow');
    const html = await postForm(eraseLink, {});
    expect(html.status).toBe(429);
    expect(await html.text()).toContain('ask again tomorrow');
    expect(await mailboxSubjects('holder')).toHaveLength(4);
  });

  it('says "tomorrow", not "in 2 minutes", when the link that filled the mailbox was just sent', async () => {
    const row = await subscribeAndConfirm('minutes@example.net');
    const prefs = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    const ask = async (action: 'export' | 'delete') => {
      const response = await postJson(
        prefs.replace('/preferences?', `/preferences/${action}?`),
        {},
        { accept: 'application/json' },
      );
      return { status: response.status, body: await response.json<{ error?: { message: string } }>() };
    };
    await ageMailRequests(11);
    expect((await ask('export')).status).toBe(202);
    // Under the mailbox cap, the gap between two links of a kind is still told in minutes.
    expect((await ask('export')).body.error!.message).toContain('ask again in 2 minutes');
    await ageMailRequests(11);
    await postJson('/subscribe', { email: 'minutes+x@example.net' });
    expect((await ask('delete')).status).toBe(202);
    const refused = await ask('delete');
    expect(refused.status).toBe(429);
    expect(refused.body.error!.message).toContain('ask again tomorrow');
    expect(await mailboxSubjects('minutes')).toHaveLength(4);
  });

  it('leaves other mailboxes alone and rolls with the 24-hour window', async () => {
    await fillMailbox('rolling');
    await postForm('/data', { email: 'rolling@example.net', action: 'erase' });
    expect(await mailboxSubjects('rolling')).toHaveLength(4);
    await subscribeAndConfirm('rolling-neighbour@example.net');
    await postForm('/data', { email: 'rolling-neighbour@example.net', action: 'erase' });
    expect(await emailsTo('rolling-neighbour@example.net')).toHaveLength(2);

    await ageMailRequests(24 * 60 - 30);
    // The first email is a day old now, the others not yet: one more fits.
    await postForm('/data', { email: 'rolling@example.net', action: 'erase' });
    await ageMailRequests(3);
    await postForm('/data', { email: 'rolling@example.net', action: 'export' });
    expect((await mailboxSubjects('rolling')).slice(4)).toEqual([
      'Your link to delete your Papers Digest data',
    ]);
  });

  it('holds under requests of every kind racing each other', async () => {
    await subscribeAndConfirm('racing@example.net');
    await ageMailRequests(11);
    await postJson('/subscribe', { email: 'racing@example.net' });
    await ageMailRequests(11);
    await Promise.all(
      ['Racing', 'racing+1', 'RACING+2'].flatMap((spelling) => [
        postJson('/subscribe', { email: `${spelling}@example.net` }),
        postJson('/data', { email: 'Racing@example.net', action: 'export' }),
        postJson('/data', { email: 'racing@example.net', action: 'erase' }),
      ]),
    );
    expect(await mailboxSubjects('racing')).toHaveLength(4);
  });
});
