/**
 * The short emails people ask for on our site (confirm, "already subscribed", the export
 * and erase links) keep their 560 px card in classic Outlook on Windows, which ignores
 * max-width: a ghost table around the card, in the HTML we send, and nothing of it in the
 * plain text; and the card's padding on its cell, the only element Outlook pads. On a phone,
 * the card stays as wide as the screen whatever address it names.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { buildDataLinkEmail, buildSignupEmail } from '../../src/subscriptions/emails';
import { makeSubscriber } from '../factories';
import { contrast } from '../helpers/contrast';
import { expectNoMsoInText, expectOutlookGhostTable } from '../helpers/outlook';

const config = parseConfig(env);
const subscriber = makeSubscriber({ email: 'ada@example.org' });
const now = new Date('2026-11-26T09:00:00.000Z');

const allKinds = (to = subscriber) =>
  Promise.all([
    buildSignupEmail(config, to, 'confirm', now, null),
    buildSignupEmail(config, to, 'already_subscribed', now, null),
    buildDataLinkEmail(config, to, 'export', now),
    buildDataLinkEmail(config, to, 'erase', now),
  ]);

describe('notice emails in Outlook on Windows', () => {
  it('wrap their card in one ghost table of its width, in every kind', async () => {
    for (const email of await allKinds()) {
      expectOutlookGhostTable(email.html, 560);
      expectNoMsoInText(email.text);
      // The button's own Outlook padding comments are still there, untouched.
      expect(email.html).toContain('<!--[if mso]><i style="mso-font-width:');
      expect(email.text).toContain('ada@example.org');
    }
  });

  it('pad their card on its cell, which Outlook honours (it ignores padding on a table)', async () => {
    for (const email of await allKinds()) {
      const card =
        /<table align="center" width="100%"([^>]*class="pd-c"[^>]*)><tbody><tr[^>]*><td([^>]*)>/.exec(
          email.html,
        );
      expect(card).not.toBeNull();
      expect(card![1]).toContain('max-width:560px');
      expect(card![1]).not.toContain('padding:');
      expect(card![2]).toContain('padding:32px 28px');
    }
  });
});

describe('notice emails in plain text', () => {
  it('show the action link once, after its label, and keep the copy-this-link line in the HTML', async () => {
    for (const email of await allKinds()) {
      const link = /href="(http[^"]+)"[^>]*class="pd-b"|class="pd-b"[^>]*href="(http[^"]+)"/.exec(email.html);
      expect(link).not.toBeNull();
      const url = (link![1] ?? link![2]!).replaceAll('&amp;', '&');
      expect(email.text.split(url).length - 1).toBe(1);
      expect(email.text).not.toContain('If the button does not work');
      expect(email.html).toContain('If the button does not work, copy this link into your browser:');
    }
  });
});

describe('notice emails on a phone', () => {
  it('let a long address wrap inside the card instead of widening it past the screen', async () => {
    // An address is one unbreakable word to a browser: no line may break inside it unless
    // the CSS allows it, and then the whole card (and the page) scrolls sideways in Gmail's
    // apps and iOS Mail. The digest's container allows it; the notice card must too.
    const long = makeSubscriber({
      email: 'firstname.middlename.lastname.department-of-computing@mail.example-university.ac.uk',
    });
    for (const email of await allKinds(long)) {
      const card = /<table align="center" width="100%"[^>]*style="([^"]*max-width:560px[^"]*)"/.exec(
        email.html,
      );
      expect(card).not.toBeNull();
      expect(card![1]).toContain('word-break:break-word');
      expect(email.html).toContain(long.email);
    }
  });
});

describe("notice emails in a phone's web view", () => {
  it("state a viewport, so the page is laid out at the screen's width, not 980 px and shrunk", async () => {
    for (const email of await allKinds()) {
      expect(email.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    }
  });
});

describe('notice emails for every reader', () => {
  /** The headings of `allKinds()`, in its order. */
  const headings = [
    'Confirm your subscription',
    'You are already subscribed',
    'Download your data',
    'Delete your data',
  ];

  it('have a document title, so a screen reader (or a browser tab) names the email', async () => {
    for (const [position, email] of (await allKinds()).entries()) {
      expect(email.html).toContain(`<title>${headings[position]} · Papers Digest</title>`);
      expect(email.html).toMatch(/<html dir="ltr" lang="en">/);
      // ...and the plain-text part does not repeat it.
      expect(email.text).not.toContain(' · Papers Digest');
    }
  });

  it('write their heading in the plain text as typed, not in capitals (which reads as shouting)', async () => {
    for (const [position, email] of (await allKinds()).entries()) {
      const heading = headings[position] ?? '';
      expect(email.text).toContain(heading);
      expect(email.text).not.toContain(heading.toUpperCase());
    }
  });

  it('keep all their text at WCAG AA contrast (4.5:1) on the white card, footer included', async () => {
    for (const email of await allKinds()) {
      // Text and links on the card: every colour but the button's, which sits on its own background.
      const colours = [...email.html.matchAll(/<(p|a|h1)\b[^>]*style="([^"]*)"/g)]
        .filter((match) => !match[2]!.includes('background-color'))
        .map((match) => /(?:^|;)color:(#[0-9a-f]{6})/i.exec(match[2]!)?.[1])
        .filter((colour): colour is string => colour !== undefined);
      expect(colours.length).toBeGreaterThan(5);
      for (const colour of colours) expect(contrast(colour, '#ffffff'), colour).toBeGreaterThanOrEqual(4.5);
    }
  });
});
