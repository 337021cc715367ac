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
import { buildDataLinkEmail, buildSignupEmail } from '../../src/subscriptions/emails';
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
    const now = new Date('2026-11-26T09:00:00.000Z');
    const request = {
      id: crypto.randomUUID(),
      schedule: { frequency: 'weekly' as const, sendHour: 8, timeZone: 'America/Argentina/ComodRivadavia' },
    };
    const emails = await Promise.all([
      buildSignupEmail(config, subscriber, 'confirm', now, request),
      buildSignupEmail(config, subscriber, 'already_subscribed', now, request),
      buildDataLinkEmail(config, subscriber, 'export', now),
      buildDataLinkEmail(config, subscriber, 'erase', now),
    ]);
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
