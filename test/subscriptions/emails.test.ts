/**
 * The short emails people ask for on our site (confirm, "already subscribed", the export
 * and erase links) keep their 560 px card in classic Outlook on Windows, which ignores
 * max-width: a ghost table around the card, in the HTML we send, and nothing of it in the
 * plain text.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { buildDataLinkEmail, buildSignupEmail } from '../../src/subscriptions/emails';
import { makeSubscriber } from '../factories';
import { expectNoMsoInText, expectOutlookGhostTable } from '../helpers/outlook';

const config = parseConfig(env);
const subscriber = makeSubscriber({ email: 'ada@example.org' });
const now = new Date('2026-11-26T09:00:00.000Z');

describe('notice emails in Outlook on Windows', () => {
  it('wrap their card in one ghost table of its width, in every kind', async () => {
    const emails = [
      await buildSignupEmail(config, subscriber, 'confirm', now, null),
      await buildSignupEmail(config, subscriber, 'already_subscribed', now, null),
      await buildDataLinkEmail(config, subscriber, 'export', now),
      await buildDataLinkEmail(config, subscriber, 'erase', now),
    ];
    for (const email of emails) {
      expectOutlookGhostTable(email.html, 560);
      expectNoMsoInText(email.text);
      // The button's own Outlook padding comments are still there, untouched.
      expect(email.html).toContain('<!--[if mso]><i style="mso-font-width:');
      expect(email.text).toContain('ada@example.org');
    }
  });
});
