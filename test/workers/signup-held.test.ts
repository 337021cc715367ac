/**
 * A second sign-up of an address within the sign-up mail cap (10 minutes, 3 a day) sends
 * no email but is not lost: through the real Worker and D1, its settings are held, the
 * confirm page of the earlier email shows both sets, and only the owner's choice there
 * applies the newer ones (the default button still confirms the email's). The second
 * answer is the first's, an active subscriber holds nothing, a newer email or erasure
 * removes what was held, and a held sign-up replaced between page and click is not applied.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { holdSignup } from '../../src/db/mail-requests';
import { request } from '../helpers/app';
import {
  ageMailRequests,
  emailsTo,
  h1,
  linkIn,
  local,
  postForm,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';

const FIRST = { interests: 'reinforcment learning', frequency: 'daily', send_hour: '8', time_zone: 'UTC' };
const SECOND = {
  interests: 'reinforcement learning',
  frequency: 'weekly',
  send_hour: '18',
  time_zone: 'Europe/Berlin',
};

/** Held sign-ups naming this subscriber id (the test file's tests share one database). */
const heldFor = async (subscriberId: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM held_signups WHERE subscriber_id = ?')
    .bind(subscriberId)
    .first<{ n: number }>())!.n;
const idOf = async (email: string) => (await rowOf(email))!.id;

/** Signs `email` up twice a minute apart; returns the one email's confirm link and both answers. */
async function signUpTwice(email: string, second: Record<string, string> = SECOND) {
  const first = await postForm('/subscribe', { email, ...FIRST });
  const again = await postForm('/subscribe', { email, ...second });
  const mails = await emailsTo(email);
  expect(mails).toHaveLength(1);
  return { link: local(linkIn(mails[0]!.text, '/confirm')), first, again };
}

/** The address is active with these sign-up settings, and nothing is held for it any more. */
async function expectConfirmedWith(email: string, settings: typeof FIRST) {
  const row = await rowOf(email);
  expect(row).toMatchObject({
    status: 'active',
    interests: settings.interests,
    frequency: settings.frequency,
    send_hour: Number(settings.send_hour),
    time_zone: settings.time_zone,
  });
  expect(await heldFor(row!.id)).toBe(0);
}

/** The "use the newer settings" form's action on a confirm page, if it has one. */
const newerAction = (html: string) =>
  /<form method="post" action="([^"]*&amp;held=[^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

describe('a re-sign-up within the mail cap', () => {
  it('answers the second sign-up as the first, and shows both settings on the confirm page', async () => {
    const { link, first, again } = await signUpTwice('typo@example.net');
    expect(again.status).toBe(first.status);
    expect(await again.text()).toBe(await first.text());
    expect((await rowOf('typo@example.net'))!.interests).toBe(FIRST.interests);

    const page = await request(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(h1(html)).toBe('Confirm your subscription');
    expect(html).toContain('signed up again');
    for (const value of [
      FIRST.interests,
      SECOND.interests,
      'Daily',
      'Weekly',
      '08:00',
      '18:00',
      'Europe/Berlin',
    ]) {
      // As read: a zone's cell offers line breaks after its slashes (Europe/<wbr/>Berlin).
      expect(html.replace(/<wbr\/>/g, '')).toContain(value);
    }
    expect(html).toContain('Confirm with the settings in the email');
    expect(newerAction(html)).toMatch(/^\/confirm\?token=.+&held=.+/);
    // Looking changes nothing.
    expect((await rowOf('typo@example.net'))!.status).toBe('pending');
  });

  it('applies the newer settings when the owner chooses them', async () => {
    const { link } = await signUpTwice('choose-newer@example.net');
    const action = newerAction(await (await request(link)).text())!;
    const confirmed = await postForm(action, {});
    expect(confirmed.status).toBe(200);
    expect(h1(await confirmed.text())).toBe('Subscription confirmed');
    await expectConfirmedWith('choose-newer@example.net', SECOND);
  });

  it("applies the email's settings with the default button, as before", async () => {
    const { link } = await signUpTwice('choose-email@example.net');
    await request(link);
    expect((await postForm(link, {})).status).toBe(200);
    await expectConfirmedWith('choose-email@example.net', FIRST);
  });

  it('does not apply a held sign-up replaced after the page showed it', async () => {
    const { link } = await signUpTwice('replaced@example.net');
    const action = newerAction(await (await request(link)).text())!;
    // Someone else signs the address up again (capped too) before the owner clicks.
    await postForm('/subscribe', {
      email: 'replaced@example.net',
      interests: 'evil.example',
      send_hour: '3',
    });
    const refused = await postForm(action, {}, { accept: 'application/json' });
    expect(refused.status).toBe(409);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe('held_signup_changed');
    expect((await rowOf('replaced@example.net'))!.status).toBe('pending');
    // The page now shows what is waiting, and the owner can still confirm the email's settings.
    expect(await (await request(link)).text()).toContain('evil.example');
    expect((await postForm(link, {})).status).toBe(200);
    expect((await rowOf('replaced@example.net'))!.interests).toBe(FIRST.interests);
  });

  it('offers no choice when the newer sign-up asked for the same settings', async () => {
    const { link } = await signUpTwice('same@example.net', FIRST);
    const html = await (await request(link)).text();
    expect(newerAction(html)).toBeUndefined();
    expect(html).toContain('every day at 08:00 (UTC)');
  });

  it('keeps only the newest held sign-up, and a newer email supersedes it', async () => {
    const { link } = await signUpTwice('newest@example.net');
    await postForm('/subscribe', { email: 'newest@example.net', interests: 'third try' });
    expect(await heldFor(await idOf('newest@example.net'))).toBe(1);
    const html = await (await request(link)).text();
    expect(html).toContain('third try');
    expect(html).not.toContain(SECOND.interests);

    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'newest@example.net', interests: 'fourth' });
    expect(await emailsTo('newest@example.net')).toHaveLength(2);
    expect(await heldFor(await idOf('newest@example.net'))).toBe(0);
  });

  it('holds nothing for an active subscriber, whose settings a form never changes', async () => {
    const row = await subscribeAndConfirm('active-held@example.net', { interests: 'mine' });
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'active-held@example.net', ...SECOND });
    await postForm('/subscribe', { email: 'active-held@example.net', ...FIRST });
    expect(await heldFor(row.id)).toBe(0);
    expect(await rowOf('active-held@example.net')).toEqual(row);
  });

  it('is never offered by a link of another subscriber, nor one older than its email', async () => {
    const { link } = await signUpTwice('mine@example.net');
    const mine = await rowOf('mine@example.net');
    // A held row naming someone else is not shown on this link.
    await env.DB.prepare('UPDATE held_signups SET subscriber_id = ?1 WHERE subscriber_id = ?2')
      .bind(`${mine!.id}-not`, mine!.id)
      .run();
    expect(newerAction(await (await request(link)).text())).toBeUndefined();
    // One older than the email the link came in is superseded by it.
    await env.DB.prepare('DELETE FROM held_signups WHERE subscriber_id = ?').bind(`${mine!.id}-not`).run();
    await holdSignup(env.DB, {
      id: 'old',
      addressHash: 'x',
      subscriberId: mine!.id,
      settings: { interests: 'stale' },
      createdAt: '2000-01-01T00:00:00.000Z',
    });
    expect(newerAction(await (await request(link)).text())).toBeUndefined();
  });

  it("is in the owner's export, and deleted with the rest when they erase their data", async () => {
    await signUpTwice('erase-held@example.net');
    const id = await idOf('erase-held@example.net');
    expect(await heldFor(id)).toBe(1);
    // What is held is part of what we hold about them: the export shows it.
    await postForm('/data', { email: 'erase-held@example.net', action: 'export' });
    const exportLink = local(linkIn((await emailsTo('erase-held@example.net')).at(-1)!.text, '/data/export'));
    const exported = await (await postForm(exportLink, {})).json<{ held_signup: { settings: unknown } }>();
    expect(exported.held_signup.settings).toMatchObject({ interests: SECOND.interests, sendHour: 18 });
    await postForm('/data', { email: 'erase-held@example.net', action: 'erase' });
    const erase = local(linkIn((await emailsTo('erase-held@example.net')).at(-1)!.text, '/data/erase'));
    expect((await postForm(erase, {})).status).toBe(200);
    expect(await rowOf('erase-held@example.net')).toBeNull();
    expect(await heldFor(id)).toBe(0);
  });
});
