/**
 * SMTP allows 998 bytes a line, and a server folds a longer one wherever it reaches the
 * limit, mid-URL too: a notice whose button line is folded mails a confirm link that no
 * longer works. The signed link is the one long thing in a notice, and it grows with the
 * deployment's PUBLIC_URL (a workers.dev host is long) and with the sign-up request a
 * confirm link names; the lines holding it stay under the limit for a long one.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { emailText } from '../../src/lib/email-html';
import { noticeEmails } from '../digest/sample';
import { makeSubscriber } from '../factories';

const utf8 = new TextEncoder();

describe('notice emails with a long PUBLIC_URL', () => {
  it('keep every HTML line within 998 bytes, the lines with the signed link included', async () => {
    // 120 characters of host, longer than any workers.dev or custom domain we expect.
    const host = `papers-digest.${'a-research-group-'.repeat(5)}example.workers.dev`;
    const config = parseConfig({ ...env, PUBLIC_URL: `https://${host}` });
    const subscriber = makeSubscriber({
      id: crypto.randomUUID(),
      email: `${'a-very-long-local-part.'.repeat(3)}reader@${'subdomain.'.repeat(4)}example.org`,
    });
    const request = {
      id: crypto.randomUUID(),
      // Wednesday: the longest day name.
      schedule: {
        frequency: 'weekly' as const,
        sendHour: 8,
        timeZone: 'America/Argentina/ComodRivadavia',
        sendWeekday: 3,
      },
    };
    const emails = await noticeEmails(config, subscriber, request);
    for (const email of emails) {
      const link = /<a class="pd-b" href="([^"]*)"/.exec(email.html)![1]!;
      expect(link.length).toBeGreaterThan(250);
      // The link: the button's, and the fallback's target and text.
      expect(email.html.split(link).length - 1).toBe(3);
      for (const line of email.html.split('\n')) {
        expect(utf8.encode(line).length, line.slice(0, 80)).toBeLessThanOrEqual(998);
      }
    }
  });
});

describe('the text part of the notice emails', () => {
  it('is wrapped at 78 characters (RFC 5322 2.1.1), links whole on lines of their own', async () => {
    const config = parseConfig({
      ...env,
      POSTAL_ADDRESS: 'Papers Digest, 1 Example Street, Example City, Example County, EX1 2MP',
    });
    const emails = await noticeEmails(config, makeSubscriber({ email: 'ada@example.org' }), null);
    for (const email of emails) {
      const link = /<a class="pd-b" href="([^"]*)"/.exec(email.html)![1]!.replaceAll('&amp;', '&');
      for (const line of email.text.split('\n')) {
        // Only a URL, which cannot be broken, stands longer, alone on its line.
        if ([...line].length > 78) expect(line).toMatch(/^https?:\/\/\S+$/);
      }
      // The signed link is still there whole, for a client to open.
      expect(email.text.split('\n')).toContain(link);
      // The words are all there: only line breaks took the place of spaces.
      const words = (text: string) => text.split(/\s+/).filter(Boolean);
      expect(words(email.text)).toEqual(words(emailText(email.html)));
    }
  });
});
