/**
 * The subscriber's whole life through the real Worker and real D1: landing page, sign-up
 * by form and JSON, the confirmation email read out of /dev/outbox.json like a user would,
 * confirm on POST only, no enumeration, bot defences, unsubscribe, the preference centre,
 * and every bad input the issue lists (each answered with a clear 4xx and nothing
 * written). Issue 12's abuse cases have their own files: signup-abuse and link-scope;
 * Turnstile has turnstile.test.ts.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { hmacSha256Hex } from '../../src/lib/crypto';
import { confirmUrl, preferencesUrl, unsubscribeUrl } from '../../src/links';
import { signToken } from '../../src/tokens';
import { BASE_URL, fetchWith, request } from '../helpers/app';
import { expectOutlookGhostTable } from '../helpers/outlook';
import { clearOfLimiterWindowEdge } from '../helpers/ratelimit';
import { endlessBody } from '../helpers/streams';
import {
  ageMailRequests,
  counts,
  emailsTo,
  h1,
  linkIn,
  local,
  nextIp,
  postForm,
  postJson,
  type Row,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';
import { suppress } from '../helpers/suppressions';

const config = parseConfig(env);

describe('landing page', () => {
  beforeAll(async () => {
    const now = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO papers (id, title, abstract, authors, categories, primary_category, upvotes, hf_date, sources,
         ingested_at, refreshed_at)
       VALUES ('2501.00001', 'Scaling <Laws> & Friends', 'We study scaling.', '["Ada Lovelace","Alan Turing"]',
         '["cs.LG"]', 'cs.LG', 42, '2025-01-02', '["hf"]', ?, ?)`,
    )
      .bind(now, now)
      .run();
  });

  it('explains the digest, shows the latest papers and an accessible form', async () => {
    const response = await request('/', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(h1(html)).toBe('Papers Digest');
    expect(html).toContain('Scaling &lt;Laws&gt; &amp; Friends');
    expect(html).toContain('Ada Lovelace, Alan Turing');
    for (const name of ['email', 'interests', 'frequency', 'send_hour', 'time_zone']) {
      expect(html).toContain(`name="${name}"`);
      expect(html).toContain(`<label for="${name}">`);
    }
    expect(html).toMatch(/<form method="post" action="\/subscribe"/);
    expect(html).toContain('<option value="UTC" selected="">');
    expect(html).toContain('data-detect-time-zone');
    expect(html).toContain('name="website"');
    expect(html).toMatch(/<button type="submit">Subscribe<\/button>/);
    expect(html).toContain('name="viewport"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(html).not.toContain('npm run seed:local');
  });

  // Issue 12, smaller items: "The CSP allows `script-src 'unsafe-inline'`".
  it('runs no inline script: the CSP allows scripts only from files, and our one script is served', async () => {
    const response = await request('/');
    const csp = response.headers.get('content-security-policy')!;
    const scriptSrc = /script-src ([^;]*)/.exec(csp)![1]!;
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(scriptSrc).toContain("'self'");
    const html = await response.text();
    // Every <script> has a src; no inline code, no event handler attributes.
    expect([...html.matchAll(/<script\b([^>]*)>/g)].every((match) => /\bsrc=/.test(match[1]!))).toBe(true);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toContain('<script src="/assets/forms.js" defer="">');
    const script = await request('/assets/forms.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    const code = await script.text();
    expect(code).toContain('resolvedOptions().timeZone');
    expect(code).toContain("getElementById('error-summary')");
    // A form with errors still gets its error summary focused, by the same file.
    const invalid = await postForm('/subscribe', { email: 'nope' });
    const invalidHtml = await invalid.text();
    expect(invalidHtml).toContain('id="error-summary"');
    expect(invalidHtml).not.toMatch(/<script>/);
  });

  // Turnstile's check is the one part of a form that needs JavaScript; without it the form
  // could only be refused after being filled in, with a message asking for a check nobody saw.
  it('tells visitors without JavaScript, before they fill in the form, that the human check needs it', async () => {
    const withTurnstile: Env = { ...env, TURNSTILE_SECRET_KEY: 'secret', TURNSTILE_SITE_KEY: 'site-key' };
    const html = await (await fetchWith(new Request(`${BASE_URL}/`), withTurnstile)).response.text();
    const form = html.slice(html.indexOf('<form'), html.indexOf('</form>'));
    const noscript = /<noscript>([\s\S]*?)<\/noscript>/.exec(form)?.[1] ?? '';
    expect(noscript).toContain('JavaScript');
    expect(form.indexOf('<noscript>')).toBeLessThan(form.indexOf('id="email"'));
    const data = await (await fetchWith(new Request(`${BASE_URL}/data`), withTurnstile)).response.text();
    expect(/<noscript>([\s\S]*?)<\/noscript>/.exec(data)?.[1]).toContain('JavaScript');
    // No site key, no widget: nothing to warn about.
    expect(await (await request('/')).text()).not.toContain('<noscript>');
  });

  it('tells developers when the last ingest could not reach the upstreams', async () => {
    await env.DB.prepare(
      `INSERT INTO ingest_runs (source, window, status, errors, started_at) VALUES ('hf', '2025-01-02', 'failed', '["fetch failed"]', ?)`,
    )
      .bind(new Date().toISOString())
      .run();
    const html = await (await request('/')).text();
    expect(html).toContain('npm run seed:local');
    expect(html).toContain('could not be reached');
  });
});

describe('sign-up by form and double opt-in', () => {
  it('stores a pending subscriber, emails a confirmation and confirms only on POST', async () => {
    const ip = '203.0.113.77';
    const response = await postForm(
      '/subscribe',
      {
        email: '  Grace.Hopper@Example.COM ',
        interests: 'compilers, cs.PL; author: Barbara Liskov',
        frequency: 'weekly',
        send_hour: '7',
        time_zone: 'Europe/Berlin',
      },
      { 'cf-connecting-ip': ip },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(h1(page)).toBe('Check your inbox');
    expect(page).toContain('Grace.Hopper@example.com');

    const pending = await rowOf('Grace.Hopper@example.com');
    expect(pending).toMatchObject({
      status: 'pending',
      interests: 'compilers, cs.PL; author: Barbara Liskov',
      frequency: 'weekly',
      send_hour: 7,
      time_zone: 'Europe/Berlin',
      consent_at: null,
      confirmed_at: null,
    });

    const mails = await emailsTo('Grace.Hopper@example.com');
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe(config.MAIL_FROM);
    expect(mail.subject).toBe('Confirm your Papers Digest subscription');
    // Its 560 px card in Outlook on Windows too, as the email went out.
    expectOutlookGhostTable(mail.html, 560);
    expect(mail.text).toContain(config.POSTAL_ADDRESS);
    expect(mail.html).toContain(config.POSTAL_ADDRESS);
    const link = linkIn(mail.text, '/confirm');
    expect(mail.html).toContain(link);
    expect(link).not.toContain('Hopper');
    // The schedule from our own lists is repeated; the free-text interests are not.
    expect(mail.text).toContain('Weekly');
    expect(mail.text).not.toContain('compilers');
    expect(
      atob(new URL(link).searchParams.get('token')!.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')),
    ).not.toContain('@');

    // A link scanner's GET shows the button and changes nothing.
    const view = await request(link.replace(BASE_URL, ''));
    expect(view.status).toBe(200);
    expect(view.headers.get('cache-control')).toBe('no-store');
    const viewHtml = await view.text();
    expect(viewHtml).toMatch(/<button type="submit">Confirm subscription<\/button>/);
    expect((await rowOf('Grace.Hopper@example.com'))!.status).toBe('pending');

    const confirm = await postForm(link.replace(BASE_URL, ''), {}, { 'cf-connecting-ip': ip });
    expect(confirm.status).toBe(200);
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    const confirmedHtml = await confirm.text();
    expect(h1(confirmedHtml)).toBe('Subscription confirmed');
    const active = await rowOf('Grace.Hopper@example.com');
    expect(active!.status).toBe('active');
    expect(active!.consent_method).toBe('form');
    expect(active!.consent_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(active!.confirmed_at).toBe(active!.consent_at);
    expect(active!.consent_ip_hash).toBe(await hmacSha256Hex(config.TOKEN_SECRET, `consent-ip:${ip}`));
    // Our own page, after confirming, is where the interests typed at sign-up are shown.
    expect(confirmedHtml).toContain('compilers, cs.PL; author: Barbara Liskov');
    expect(active!.token_version).toBe(pending!.token_version + 1);
    // The confirmed page links to the preference centre with a working token.
    const prefsLink =
      /href="(\/preferences\?token=[^"]+|https:\/\/digest\.test\/preferences\?token=[^"]+)"/.exec(
        confirmedHtml,
      )![1]!;
    expect((await request(prefsLink.replace(BASE_URL, '').replace(/&amp;/g, '&'))).status).toBe(200);

    // Replaying the confirmation (a double click): the confirmed page again, nothing rewritten.
    const replay = await postForm(link.replace(BASE_URL, ''), {}, { 'cf-connecting-ip': '192.0.2.1' });
    expect(replay.status).toBe(200);
    expect(h1(await replay.text())).toBe('Subscription confirmed');
    expect(await rowOf('Grace.Hopper@example.com')).toEqual(active);
    expect((await request(link.replace(BASE_URL, ''))).status).toBe(200);
  });

  it('shows, after confirming, how the typed interests were read', async () => {
    const email = 'reading@example.com';
    await postForm('/subscribe', {
      email,
      interests: '• RLHF\n• cs.CL and cs.LG\n• authors: Yann LeCun, Yejin Choi',
    });
    const link = linkIn((await emailsTo(email)).at(-1)!.text, '/confirm');
    const html = await (await postForm(local(link), {})).text();
    expect(html).toContain('Topics: RLHF</li>');
    expect(html).toContain('arXiv categories: cs.CL, cs.LG</li>');
    expect(html).toContain('Authors: Yann LeCun, Yejin Choi</li>');
  });

  it('accepts JSON with the same field names and records the api consent method', async () => {
    const response = await postJson('/subscribe', {
      email: 'api.user@example.org',
      interests: ['graph neural networks', 'cs.LG'],
      frequency: 'daily',
      send_hour: 9,
      time_zone: 'America/New_York',
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      status: 'pending_confirmation',
      email: 'api.user@example.org',
    });
    const [mail] = await emailsTo('api.user@example.org');
    await postForm(linkIn(mail!.text, '/confirm').replace(BASE_URL, ''), {});
    const row = await rowOf('api.user@example.org');
    expect(row).toMatchObject({
      status: 'active',
      consent_method: 'api',
      interests: 'graph neural networks; cs.LG',
      time_zone: 'America/New_York',
      send_hour: 9,
    });
  });

  it('accepts multipart form posts', async () => {
    const body = new FormData();
    body.set('email', 'multipart@example.org');
    body.set('frequency', 'daily');
    const response = await request('/subscribe', {
      method: 'POST',
      headers: { origin: BASE_URL, 'cf-connecting-ip': nextIp() },
      body,
    });
    expect(response.status).toBe(200);
    expect((await rowOf('multipart@example.org'))!.status).toBe('pending');
  });

  it('answers an active address exactly like a new one and mails "already subscribed" instead', async () => {
    await subscribeAndConfirm('known@example.net', { frequency: 'weekly' });
    const before = await rowOf('known@example.net');
    await ageMailRequests(11);

    const fresh = await postForm('/subscribe', { email: 'unknown@example.net', frequency: 'daily' });
    const again = await postForm('/subscribe', { email: 'known@example.net', frequency: 'daily' });
    expect(again.status).toBe(fresh.status);
    const normalise = (html: string) => html.replace(/(un)?known@example\.net/g, 'X');
    expect(normalise(await again.text())).toBe(normalise(await fresh.text()));

    const jsonFresh = await postJson('/subscribe', { email: 'unknown2@example.net' });
    const jsonAgain = await postJson('/subscribe', { email: 'known@example.net' });
    expect(jsonAgain.status).toBe(jsonFresh.status);
    const bodies = [
      await jsonFresh.json<Record<string, unknown>>(),
      await jsonAgain.json<Record<string, unknown>>(),
    ];
    expect({ ...bodies[0], email: null }).toEqual({ ...bodies[1], email: null });

    // The stranger's submission changed nothing for the active subscriber.
    expect(await rowOf('known@example.net')).toEqual(before);
    const mails = await emailsTo('known@example.net');
    const notices = mails.filter((mail) => mail.subject === 'You are already subscribed to Papers Digest');
    // Two sign-ups within 10 minutes: the owner hears about the first only (per-address cap).
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(`${BASE_URL}/preferences?token=`);
    expect(notices[0]!.text).not.toContain('/confirm?token=');
  });

  it('re-sends the confirmation to a pending address after 10 minutes, changing nothing stored', async () => {
    await postForm('/subscribe', { email: 'twice@example.com', interests: 'first' });
    const pending = await rowOf('twice@example.com');
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'twice@example.com', interests: 'second', send_hour: '18' });
    const mails = await emailsTo('twice@example.com');
    expect(mails).toHaveLength(2);
    expect(mails.every((mail) => mail.subject.startsWith('Confirm'))).toBe(true);
    // The second sign-up's settings wait in its own link; the row is untouched until then.
    expect(await rowOf('twice@example.com')).toEqual(pending);
    expect((await postForm(local(linkIn(mails[1]!.text, '/confirm')), {})).status).toBe(200);
    expect(await rowOf('twice@example.com')).toMatchObject({
      status: 'active',
      interests: 'second',
      send_hour: 18,
    });
  });

  it('starts a fresh opt-in when an unsubscribed address signs up again', async () => {
    const row = await subscribeAndConfirm('comeback@example.com');
    const unsubscribe = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    await postForm(unsubscribe.replace(BASE_URL, ''), { 'List-Unsubscribe': 'One-Click' });
    expect((await rowOf('comeback@example.com'))!.status).toBe('unsubscribed');

    await ageMailRequests(11);
    const again = await postForm('/subscribe', { email: 'comeback@example.com', frequency: 'weekly' });
    expect(again.status).toBe(200);
    // Still unsubscribed until the owner confirms again.
    expect((await rowOf('comeback@example.com'))!.status).toBe('unsubscribed');
    const mails = await emailsTo('comeback@example.com');
    expect(mails).toHaveLength(2);
    const link = linkIn(mails[1]!.text, '/confirm');
    expect((await postForm(link.replace(BASE_URL, ''), {})).status).toBe(200);
    expect(await rowOf('comeback@example.com')).toMatchObject({
      status: 'active',
      frequency: 'weekly',
      unsubscribed_at: null,
    });
  });
});

describe('bad sign-up input: a clear 4xx and nothing written', () => {
  const malformed = [
    'not-an-email',
    'user@',
    '@example.com',
    'two@@example.com',
    'user@example',
    'spa ce@example.com',
    'Name <name@example.com>',
    'a@example.com,b@example.com',
  ];

  it.each(malformed)('refuses the malformed email %j (form and JSON)', async (email) => {
    const before = await counts();
    const page = await postForm('/subscribe', { email, interests: 'kept interests', frequency: 'weekly' });
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('id="error-summary"');
    expect(html).toMatch(/id="email"[^>]*aria-describedby="email-error"[^>]*aria-invalid="true"/);
    expect(html).toContain('id="email-error"');
    expect(html).toContain('kept interests');
    expect(html).toContain('<option value="weekly" selected="">');

    const json = await postJson('/subscribe', { email });
    expect(json.status).toBe(400);
    const body = await json.json<{ error: { code: string; fields: Record<string, string[]> } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.fields.email![0]).toMatch(/email/i);
    expect(await counts()).toEqual(before);
  });

  it('refuses CR/LF header-injection attempts in the email', async () => {
    const before = await counts();
    for (const email of [
      'victim@example.com\r\nBcc: everyone@example.com',
      'victim@example.com\nSubject: spam',
      'victim@example.com\r\n',
    ]) {
      const json = await postJson('/subscribe', { email });
      expect(json.status).toBe(400);
      const body = await json.json<{ error: { fields: Record<string, string[]> } }>();
      expect(body.error.fields.email).toBeDefined();
      const form = await postForm('/subscribe', { email });
      expect(form.status).toBe(400);
    }
    expect(await counts()).toEqual(before);
  });

  it('never lets the browser cut a long pasted interests list: the error keeps all of it', async () => {
    const pasted = Array.from({ length: 120 }, (_, i) => `- topic number ${i}`).join('\n');
    expect(pasted.length).toBeGreaterThan(2000);
    const landing = await (await request('/')).text();
    expect(/<textarea[^>]*name="interests"[^>]*>/.exec(landing)![0]).not.toContain('maxlength');
    const response = await postForm('/subscribe', { email: 'paster@example.com', interests: pasted });
    expect(response.status).toBe(400);
    const html = await response.text();
    // 2,000 is allowed: the message says so, not "under 2000".
    expect(html).toContain(
      `Keep your interests to 2,000 characters or fewer (you entered ${pasted.length.toLocaleString('en-US')})`,
    );
    expect(html).toContain('- topic number 119</textarea>');
    const row = await subscribeAndConfirm('paster2@example.com');
    const prefs = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    const page = await (await request(prefs)).text();
    expect(/<textarea[^>]*name="interests"[^>]*>/.exec(page)![0]).not.toContain('maxlength');
  });

  it('gives back the whole of a very long paste, not only its first 5000 characters', async () => {
    // Someone pastes a reading list far over the limit: the error says how long it is, and
    // the text to trim comes back whole (the body itself is capped at 64 KiB).
    const pasted = Array.from({ length: 400 }, (_, i) => `- topic number ${i}`).join('\n');
    expect(pasted.length).toBeGreaterThan(5000);
    const response = await postForm('/subscribe', { email: 'long@example.com', interests: pasted });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(`you entered ${pasted.length.toLocaleString('en-US')}`);
    expect(html).toContain('- topic number 399</textarea>');
  });

  it('refuses a JSON sign-up with a misspelt field instead of dropping the setting', async () => {
    const before = await counts();
    const response = await postJson('/subscribe', {
      email: 'typo@example.com',
      interest: 'RLHF',
      sendHour: 9,
    });
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { code: string; fields: Record<string, string[]> } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields).sort()).toEqual(['interest', 'sendHour']);
    expect(body.error.fields.interest![0]).toContain('email, interests, frequency, send_hour, time_zone');
    expect(await counts()).toEqual(before);
    // The honeypot field is read by the route, not the schema: still accepted.
    expect((await postJson('/subscribe', { email: 'typo@example.com', website: '' })).status).toBe(202);
  });

  it('names a few unknown fields, not thousands: the answer is not a multiple of the body', async () => {
    // A 60 kB body of short unknown keys was answered with a message per key, each naming
    // every real field: ~8 bytes out for each byte in, for anyone who asks.
    const junk = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 1]));
    const body = JSON.stringify({ email: 'junk@example.com', ...junk });
    const response = await postJson('/subscribe', JSON.parse(body));
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(4_000);
    const { error } = JSON.parse(text) as { error: { message: string; fields: Record<string, string[]> } };
    expect(Object.keys(error.fields)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
    expect(error.fields.k9![0]).toContain('and 4,990 more unknown fields');
  });

  it('refuses 10 kB fields with per-field messages', async () => {
    const before = await counts();
    const huge = 'x'.repeat(10 * 1024);
    const json = await postJson('/subscribe', {
      email: `${huge}@example.com`,
      interests: huge,
      time_zone: huge,
    });
    expect(json.status).toBe(400);
    const body = await json.json<{ error: { fields: Record<string, string[]> } }>();
    expect(Object.keys(body.error.fields).sort()).toEqual(['email', 'interests', 'time_zone']);
    const form = await postForm('/subscribe', { email: 'ok@example.com', interests: huge });
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('id="interests-error"');
    expect(await counts()).toEqual(before);
  });

  it('refuses an unknown frequency, hour or time zone', async () => {
    const before = await counts();
    const json = await postJson('/subscribe', {
      email: 'fine@example.com',
      frequency: 'hourly',
      send_hour: 25,
      time_zone: 'Mars/Olympus_Mons',
    });
    expect(json.status).toBe(400);
    const body = await json.json<{ error: { fields: Record<string, string[]> } }>();
    expect(Object.keys(body.error.fields).sort()).toEqual(['frequency', 'send_hour', 'time_zone']);
    const form = await postForm('/subscribe', { email: 'fine@example.com', frequency: 'monthly' });
    expect(form.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('answers 415 to unknown content types and 400 to empty or broken bodies', async () => {
    const before = await counts();
    const plain = await request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: BASE_URL },
      body: 'email=a@example.com',
    });
    expect(plain.status).toBe(415);
    // A form-like body without Origin or Sec-Fetch-Site could be another site's form: 403.
    const anonymous = await request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'email=a@example.com',
    });
    expect(anonymous.status).toBe(403);
    const xml = await request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/xml', accept: 'application/json' },
      body: '<email>a@example.com</email>',
    });
    expect(xml.status).toBe(415);
    expect((await xml.json<{ error: { code: string } }>()).error.code).toBe('unsupported_media_type');

    const emptyJson = await postJson('/subscribe', '');
    expect(emptyJson.status).toBe(400);
    expect((await emptyJson.json<{ error: { code: string } }>()).error.code).toBe('empty_body');
    const emptyForm = await postForm('/subscribe', {});
    expect(emptyForm.status).toBe(400);
    const noBody = await request('/subscribe', { method: 'POST', headers: { origin: BASE_URL } });
    expect(noBody.status).toBe(400);
    const broken = await postJson('/subscribe', '{"email": ');
    expect(broken.status).toBe(400);
    expect((await broken.json<{ error: { code: string } }>()).error.code).toBe('invalid_json');
    const array = await postJson('/subscribe', '["a@example.com"]');
    expect(array.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  // Security review: these routes read a body of unknown length (chunked) whole before
  // answering 413, so anyone could make them buffer up to the platform's 100 MB each.
  it.each(['/subscribe', '/data', '/feedback', '/preferences'])(
    'stops reading a streamed body of unknown length at the cap (%s)',
    async (path) => {
      const { body, pulled } = endlessBody();
      const { response } = await fetchWith(
        new Request(`${BASE_URL}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'cf-connecting-ip': nextIp(),
          },
          body,
        }),
      );
      expect(response.status).toBe(413);
      expect((await response.json<{ error: { code: string } }>()).error.code).toBe('body_too_large');
      // 10 MB were on offer; at most the 64 kB cap (plus the stream's read-ahead) was read.
      expect(pulled()).toBeLessThan(10);
    },
  );

  // A script posting the form encoding but asking for JSON is an API client: the app's
  // onError already answers it in JSON (415, 403), so validation must not switch to a page.
  it('answers a form-encoded sign-up that accepts only JSON in JSON, errors and success', async () => {
    const before = await counts();
    const refused = await postForm('/subscribe', { email: 'nope' }, { accept: 'application/json' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/json');
    const body = await refused.json<{ error: { code: string; fields: Record<string, string[]> } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields)).toEqual(['email']);
    expect(await counts()).toEqual(before);
    const accepted = await postForm(
      '/subscribe',
      { email: 'form.api@example.com' },
      { accept: 'application/json' },
    );
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ status: 'pending_confirmation' });
    // A browser's Accept names text/html: it still gets the page.
    const page = await postForm('/subscribe', { email: 'nope' }, { accept: 'text/html,*/*;q=0.8' });
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  // Only a crafted post holds an hour outside 0–23, but the page must not answer it with
  // 00:00 pre-selected: one more click on Subscribe would then send midnight unasked.
  it('keeps an out-of-range hour selected on the re-rendered form instead of showing 00:00', async () => {
    const response = await postForm('/subscribe', { email: 'hour@example.com', send_hour: '24' });
    expect(response.status).toBe(400);
    const html = await response.text();
    const select = /<select id="send_hour"[\s\S]*?<\/select>/.exec(html)![0];
    expect(select).toContain('aria-invalid="true"');
    expect(select).toMatch(/<option value="24" selected="">/);
    expect(select).not.toMatch(/<option value="0" selected="">/);
  });

  it('refuses a form posted from another site', async () => {
    const before = await counts();
    const response = await postForm(
      '/subscribe',
      { email: 'csrf@example.com' },
      { origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
    const fetchMeta = await postForm(
      '/subscribe',
      { email: 'csrf@example.com' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(fetchMeta.status).toBe(403);
    expect(await counts()).toEqual(before);
  });
});

describe('bot defence', () => {
  it('pretends success to a bot that fills the honeypot and writes nothing', async () => {
    const before = await counts();
    const response = await postForm('/subscribe', {
      email: 'bot@example.com',
      website: 'https://spam.example',
    });
    expect(response.status).toBe(200);
    expect(h1(await response.text())).toBe('Check your inbox');
    expect(await counts()).toEqual(before);
  });

  it('gives a honeypot-filling bot exactly the answer a person gets, so the trap cannot be spotted', async () => {
    const before = await counts();
    const trap = { website: 'https://spam.example' };
    // An invalid address is refused the same way, trap or not.
    for (const fields of [{ email: 'not-an-address' }, { email: 'not-an-address', ...trap }]) {
      const response = await postJson('/subscribe', fields);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
    // The address is echoed as a person's would be (domain normalised).
    const person = await (await postJson('/subscribe', { email: 'Mixed@EXAMPLE.org', website: '' })).json();
    const bot = await (await postJson('/subscribe', { email: 'Bot@EXAMPLE.org', ...trap })).json();
    expect(person).toMatchObject({ status: 'pending_confirmation', email: 'Mixed@example.org' });
    expect(bot).toMatchObject({ status: 'pending_confirmation', email: 'Bot@example.org' });
    // The trap is rate-limited like everything else from one IP address.
    await clearOfLimiterWindowEdge();
    const ip = '192.0.2.201';
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const response = await postJson(
        '/subscribe',
        { email: `trap-${attempt}@example.com`, ...trap },
        {
          'cf-connecting-ip': ip,
        },
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(10)).toEqual([429, 429]);
    // /data answers the same way.
    const data = await postJson('/data', { email: 'Bot@EXAMPLE.org', action: 'export', ...trap });
    expect(await data.json()).toMatchObject({ status: 'link_sent_if_known', email: 'Bot@example.org' });
    const invalidData = await postJson('/data', { email: 'nope', action: 'export', ...trap });
    expect(invalidData.status).toBe(400);
    expect((await counts()).subscribers).toBe(before.subscribers + 1); // only the person
  });

  it('refuses a JSON data request with a field it does not know, as sign-up does', async () => {
    const response = await postJson('/data', { email: 'typo@example.org', acton: 'erase' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { fields: Record<string, string[]> } };
    expect(Object.keys(body.error.fields).sort()).toEqual(['action', 'acton']);
    expect(body.error.fields.acton![0]).toContain('the fields are email, action');
  });

  it('rate-limits one IP address, and tells a form user in the form', async () => {
    await clearOfLimiterWindowEdge();
    const ip = '192.0.2.200';
    let response: Response | undefined;
    for (let attempt = 0; attempt < 15; attempt++) {
      response = await postForm(
        '/subscribe',
        { email: `ip-${attempt}@example.com` },
        { 'cf-connecting-ip': ip },
      );
      if (response.status === 429) break;
    }
    expect(response!.status).toBe(429);
    const html = await response!.text();
    expect(html).toContain('Too many requests from your network');
    expect(html).toContain('id="error-summary"');
  });

  it('rate-limits an IPv6 client by its /64, not address by address', async () => {
    await clearOfLimiterWindowEdge();
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 12; attempt++) {
      const response = await postJson(
        '/subscribe',
        { email: `ip6-${attempt}@example.com` },
        { 'cf-connecting-ip': `2001:db8:77:1::${attempt.toString(16)}` },
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Another /64 is another client.
    const other = await postJson(
      '/subscribe',
      { email: 'ip6-other@example.com' },
      { 'cf-connecting-ip': '2001:db8:77:2::1' },
    );
    expect(other.status).toBe(202);
  });
});

describe('signed links', () => {
  let row: Row;
  beforeAll(async () => {
    row = await subscribeAndConfirm('links@example.com');
  });
  const subject = () => ({ id: row.id, tokenVersion: row.token_version });

  it('refuses forged, tampered and cross-purpose tokens with 400 and writes nothing', async () => {
    const before = await rowOf('links@example.com');
    const unsubscribe = await unsubscribeUrl(config, subject());
    const token = new URL(unsubscribe).searchParams.get('token')!;
    const [body, mac] = token.split('.');
    const tampered = `${body!.slice(0, -2)}${body!.endsWith('A') ? 'B' : 'A'}${body!.slice(-1)}.${mac}`;
    const forged = await signToken('some-other-secret-that-is-long-enough', {
      p: 'unsubscribe',
      s: row.id,
      v: row.token_version,
    });
    const preferencesToken = new URL(await preferencesUrl(config, subject())).searchParams.get('token')!;
    for (const bad of ['', 'garbage', 'a.b.c', tampered, forged, preferencesToken]) {
      const response = await postForm(`/unsubscribe?token=${encodeURIComponent(bad)}`, {
        'List-Unsubscribe': 'One-Click',
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('not valid');
    }
    // An unsubscribe token does not confirm, view preferences or delete.
    expect((await request(`/confirm?token=${token}`)).status).toBe(400);
    expect((await request(`/preferences?token=${token}`)).status).toBe(400);
    expect((await postForm(`/preferences/delete?token=${token}`, {})).status).toBe(400);
    expect(await rowOf('links@example.com')).toEqual(before);
  });

  it('refuses expired confirmation links with 410', async () => {
    await postForm('/subscribe', { email: 'late@example.com' });
    const pending = (await rowOf('late@example.com'))!;
    const expired = await confirmUrl(
      config,
      { id: pending.id, tokenVersion: pending.token_version },
      new Date(Date.now() - 8 * 86_400_000),
    );
    const response = await postForm(expired.replace(BASE_URL, ''), {});
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('expired');
    expect((await rowOf('late@example.com'))!.status).toBe('pending');
  });

  it('refuses links of an older token version with 410, but for unsubscribing', async () => {
    const old = await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version - 1 });
    const refused = await request(old.replace(BASE_URL, ''));
    expect(refused.status).toBe(410);
    expect(await refused.text()).toContain('newer one');
    // An unsubscribe link from an email sent before the last confirmation still unsubscribes
    // (a mail client's one-click may come from any email it shows).
    const oldUnsubscribe = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version - 1 });
    const response = await postForm(oldUnsubscribe.replace(BASE_URL, ''), {
      'List-Unsubscribe': 'One-Click',
    });
    expect(response.status).toBe(200);
    expect((await rowOf('links@example.com'))!.status).toBe('unsubscribed');
  });

  it('answers JSON clients with a JSON error', async () => {
    const response = await request('/preferences?token=nope', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('invalid_link');
  });
});

describe('unsubscribe (RFC 8058)', () => {
  it('GET shows a button but never unsubscribes', async () => {
    const row = await subscribeAndConfirm('getonly@example.com');
    const link = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    const response = await request(link.replace(BASE_URL, ''));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toMatch(/<button type="submit">Unsubscribe<\/button>/);
    // The unsubscribe link opens nothing else (issue 12: links turned against their owner).
    expect(html).not.toContain('/preferences?token=');
    expect((await rowOf('getonly@example.com'))!.status).toBe('active');
    const head = await request(link.replace(BASE_URL, ''), { method: 'HEAD' });
    expect(head.status).toBeLessThan(500);
    expect((await rowOf('getonly@example.com'))!.status).toBe('active');
  });

  it('one-click POST (urlencoded) unsubscribes with 200, no redirect, no cookie, idempotently', async () => {
    const row = await subscribeAndConfirm('oneclick@example.com');
    const link = (await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version })).replace(
      BASE_URL,
      '',
    );
    // A mail provider's POST: no Origin, no cookies, just the RFC 8058 body.
    const response = await request(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(h1(html)).toBe('You have been unsubscribed');
    // Coming back is a fresh sign-up, never a button behind this link.
    expect(html).not.toContain('/resubscribe');
    expect(html).not.toContain('token=');
    expect(html).toContain('<a href="/">Sign up again</a>');
    const first = await rowOf('oneclick@example.com');
    expect(first!.status).toBe('unsubscribed');
    expect(first!.unsubscribed_at).not.toBeNull();

    const again = await request(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(again.status).toBe(200);
    expect(await rowOf('oneclick@example.com')).toEqual(first);
  });

  // A bounced or complaining address cannot sign up again (sign-up silently sends it
  // nothing), so its unsubscribe page must not invite it to, nor claim it was just unsubscribed.
  it('tells a suppressed address why nothing is sent, without inviting it to sign up again', async () => {
    const row = await subscribeAndConfirm('bounced.unsub@example.com');
    await suppress('bounced.unsub@example.com', 'bounced');
    await env.DB.prepare(
      "UPDATE subscribers SET status = 'suppressed', suppressed_at = ?, suppressed_reason = 'bounced' WHERE id = ?",
    )
      .bind(new Date().toISOString(), row.id)
      .run();
    const link = (await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version })).replace(
      BASE_URL,
      '',
    );
    for (const response of [
      await request(link),
      await request(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      }),
    ]) {
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(h1(html)).toBe('You receive no more digests');
      expect(html).toContain('bounced or were reported as spam');
      expect(html).not.toContain('Sign up again');
    }
    expect((await rowOf('bounced.unsub@example.com'))!.status).toBe('suppressed');
  });

  it('one-click POST as multipart/form-data unsubscribes too', async () => {
    const row = await subscribeAndConfirm('multi-unsub@example.com');
    const link = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    const response = await request(link.replace(BASE_URL, ''), { method: 'POST', body });
    expect(response.status).toBe(200);
    expect((await rowOf('multi-unsub@example.com'))!.status).toBe('unsubscribed');
  });
  it('answers an API client in JSON, saying whether this call unsubscribed', async () => {
    const row = await subscribeAndConfirm('api-unsub@example.com');
    const link = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
    const post = () =>
      request(link.replace(BASE_URL, ''), { method: 'POST', headers: { accept: 'application/json' } });
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/json');
    expect(await first.json()).toEqual({ status: 'unsubscribed', changed: true });
    expect(await (await post()).json()).toEqual({ status: 'unsubscribed', changed: false });
    expect((await rowOf('api-unsub@example.com'))!.status).toBe('unsubscribed');
  });
});

describe('preference centre', () => {
  let row: Row;
  let link: string;
  beforeAll(async () => {
    row = await subscribeAndConfirm('prefs@example.com');
    link = (await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version })).replace(
      BASE_URL,
      '',
    );
  });

  it('shows the current preferences in an accessible form', async () => {
    const response = await request(link);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(h1(html)).toBe('Your preferences');
    for (const name of [
      'interests',
      'frequency',
      'send_hour',
      'time_zone',
      'send_weekday',
      'digest_size',
      'trending_mix',
      'always_send',
    ]) {
      expect(html).toContain(`name="${name}"`);
    }
    expect(html).toMatch(/<button type="submit">Save preferences<\/button>/);
    expect(html).toContain('RLHF');
  });

  it('saves every preference from the form', async () => {
    const response = await postForm(link, {
      interests: 'mixture of experts; cs.CL',
      frequency: 'weekly',
      send_weekday: '5',
      send_hour: '17',
      time_zone: 'Asia/Tokyo',
      digest_size: '25',
      trending_mix: '0.7',
      always_send: 'on',
    });
    expect(response.status).toBe(200);
    expect(h1(await response.text())).toBe('Preferences saved');
    expect(await rowOf('prefs@example.com')).toMatchObject({
      interests: 'mixture of experts; cs.CL',
      frequency: 'weekly',
      send_weekday: 5,
      send_hour: 17,
      time_zone: 'Asia/Tokyo',
      digest_size: 25,
      trending_mix: 0.7,
      always_send: 1,
      status: 'active',
    });
    // An unticked checkbox is absent from the post: always_send goes back to off.
    await postForm(link, { digest_size: '25' });
    expect((await rowOf('prefs@example.com'))!.always_send).toBe(0);
  });

  it('keeps the input and changes nothing when a value is invalid', async () => {
    const before = await rowOf('prefs@example.com');
    const response = await postForm(link, { digest_size: '51', trending_mix: '2', interests: 'still here' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('id="digest_size-error"');
    expect(html).toContain('id="trending_mix-error"');
    expect(html).toContain('still here');
    expect(await rowOf('prefs@example.com')).toEqual(before);
  });

  it('ties an always_send error to the checkbox, like every other field', async () => {
    const response = await postForm(link, { always_send: 'sometimes' });
    expect(response.status).toBe(400);
    const html = await response.text();
    const checkbox = /<input[^>]*name="always_send"[^>]*>/.exec(html)![0];
    expect(checkbox).toContain('aria-invalid="true"');
    expect(checkbox).toContain('aria-describedby="always_send-error"');
    expect(html).toMatch(/id="always_send-error"[^>]*>[^<]*<span[^>]*>Error: <\/span>[^<]*true or false/);
  });

  it('lets a typo in the digest size reach the server, which refuses it and keeps it', async () => {
    // A type=number field holding "2e" is submitted empty by browsers, i.e. "unchanged".
    const page = await (await request(link)).text();
    const input = /<input[^>]*name="digest_size"[^>]*>/.exec(page)![0];
    expect(input).toContain('type="text"');
    expect(input).toContain('inputmode="numeric"');
    const response = await postForm(link, { digest_size: '2e' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('id="digest_size-error"');
    expect(html).toContain('value="2e"');
  });

  it('accepts partial JSON updates', async () => {
    const response = await postJson(link, { digest_size: 5 });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'saved', preferences: { digest_size: 5 } });
    expect((await rowOf('prefs@example.com'))!.frequency).toBe('weekly');
  });

  it('shows back the topics, categories and authors the digest will follow, not just the text', async () => {
    const response = await postForm(link, {
      interests: '- diffusion models\n- cs.CL and cs.LG\n- author: Yejin Choi',
    });
    expect(response.status).toBe(200);
    const reading = /id="interests-reading"[\s\S]*?<\/ul>/.exec(await response.text())![0];
    expect(reading).toContain('Topics: diffusion models</li>');
    expect(reading).toContain('arXiv categories: cs.CL, cs.LG</li>');
    expect(reading).toContain('Authors: Yejin Choi</li>');
    // After a refused update the reading is still of what is saved (and used).
    const refused = await (await postForm(link, { interests: 'robotics', digest_size: '0' })).text();
    expect(refused).toContain('robotics</textarea>');
    expect(refused).toContain('Topics: diffusion models</li>');
  });

  it('refuses a JSON update with a misspelt field and changes nothing', async () => {
    const before = await rowOf('prefs@example.com');
    const response = await postJson(link, { digest_sise: 7 });
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { fields: Record<string, string[]> } }>();
    expect(body.error.fields.digest_sise![0]).toContain('digest_size');
    expect(await rowOf('prefs@example.com')).toEqual(before);
  });

  it('answers a form-encoded update that accepts only JSON in JSON', async () => {
    const before = await rowOf('prefs@example.com');
    const refused = await postForm(link, { digest_size: '0' }, { accept: 'application/json' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/json');
    const body = await refused.json<{ error: { fields: Record<string, string[]> } }>();
    expect(Object.keys(body.error.fields)).toEqual(['digest_size']);
    expect(await rowOf('prefs@example.com')).toEqual(before);
    const saved = await postForm(
      link,
      { digest_size: String(before!.digest_size), always_send: before!.always_send ? 'on' : 'off' },
      { accept: 'application/json' },
    );
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({ status: 'saved' });
  });

  it('refuses a preferences form posted from another site', async () => {
    const before = await rowOf('prefs@example.com');
    const response = await postForm(link, { digest_size: '3' }, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(await rowOf('prefs@example.com')).toEqual(before);
  });
});

describe('suppressed addresses', () => {
  it('sends nothing to a bounced address but answers as usual', async () => {
    await suppress('bounced@example.com', 'bounced');
    const before = await counts();
    const response = await postForm('/subscribe', {
      email: 'Bounced@EXAMPLE.com'.replace('Bounced', 'bounced'),
    });
    expect(response.status).toBe(200);
    expect(h1(await response.text())).toBe('Check your inbox');
    expect(await counts()).toEqual(before);
  });
});
