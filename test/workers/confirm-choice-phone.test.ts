/**
 * The confirm page's side-by-side table (the email's settings and a newer sign-up's) on a
 * phone, through the real Worker: its three columns share about 340 px on a 375 px phone,
 * and a time zone is one word to the browser ("Europe/Amsterdam", "Australia/Melbourne")
 * that held its column so wide the page laid out at 473 px, from 320 to 414 px screens.
 * The page offers a break after each "/" of a zone, so it fits from 360 px up without a
 * word being cut anywhere else.
 */
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/app';
import { emailsTo, linkIn, local, postForm } from '../helpers/subscribers';

describe('the confirm page of a held sign-up', () => {
  it('lets each time zone break after its slashes', async () => {
    const email = 'phone-choice@example.net';
    const fields = { email, interests: 'robots', frequency: 'daily', send_hour: '8' };
    expect((await postForm('/subscribe', { ...fields, time_zone: 'Europe/Amsterdam' })).status).toBe(200);
    expect(
      (await postForm('/subscribe', { ...fields, time_zone: 'America/Argentina/Catamarca' })).status,
    ).toBe(200);
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);

    const html = await (await request(local(linkIn(mails[0]!.text, '/confirm')))).text();
    const row = /<th scope="row">Time zone<\/th>(.*?)<\/tr>/s.exec(html)?.[1];
    expect(row).toBeDefined();
    expect(row).toBe('<td>Europe/<wbr/>Amsterdam</td><td>America/<wbr/>Argentina/<wbr/>Catamarca</td>');
  });
});
