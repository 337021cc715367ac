/**
 * The confirm page's side-by-side table (the email's settings and a newer sign-up's) on a
 * phone, through the real Worker: its three columns share about 340 px on a 375 px phone,
 * and a time zone is one word to the browser ("Europe/Amsterdam", "Australia/Melbourne")
 * that held its column so wide the page laid out at 473 px, from 320 to 414 px screens.
 * The page offers a break after each "/" of a zone, so it fits from 360 px up without a
 * word being cut anywhere else. Below 30rem the table stacks (the layout's table.compare):
 * each value is labelled with its column, the headers being hidden there, and typed
 * interests may break anywhere, so a URL in them no longer lays the page out at 1,777 px
 * (test/e2e/run.mjs renders it at 320 px).
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
    expect(row).toBe(
      '<td data-label="In this email">Europe/<wbr/>Amsterdam</td><td data-label="Newer sign-up">America/<wbr/>Argentina/<wbr/>Catamarca</td>',
    );
  });

  it('labels each value with its column and lets typed interests wrap anywhere', async () => {
    const email = 'phone-long-word@example.net';
    const word = `https://example.org/${'compoundwordwithouthyphens'.repeat(3)}`;
    const fields = { email, frequency: 'daily', send_hour: '8', time_zone: 'UTC' };
    expect((await postForm('/subscribe', { ...fields, interests: `${word}, robots` })).status).toBe(200);
    expect((await postForm('/subscribe', { ...fields, interests: word })).status).toBe(200);
    const mails = await emailsTo(email);
    expect(mails).toHaveLength(1);

    const html = await (await request(local(linkIn(mails[0]!.text, '/confirm')))).text();
    const table = /<table class="compare">.*?<\/table>/s.exec(html)?.[0] ?? '';
    const headers = [...table.matchAll(/<th scope="col">(.*?)<\/th>/g)].map((match) => match[1]);
    expect(headers).toEqual(['Setting', 'In this email', 'Newer sign-up']);
    const rows = [...table.matchAll(/<tr><th scope="row">(.*?)<\/th>(.*?)<\/tr>/gs)];
    expect(rows.map((row) => row[1])).toEqual(['Interests', 'Frequency', 'Send hour', 'Time zone']);
    for (const [, label, cells] of rows) {
      const labels = [...cells!.matchAll(/<td[^>]* data-label="([^"]*)"/g)].map((match) => match[1]);
      expect(labels, label).toEqual(['In this email', 'Newer sign-up']);
    }
    expect(rows[0]![2]).toBe(
      `<td class="free-text" data-label="In this email">${word}, robots</td><td class="free-text" data-label="Newer sign-up">${word}</td>`,
    );
    expect([...table.matchAll(/class="free-text"/g)]).toHaveLength(2);
  });
});
