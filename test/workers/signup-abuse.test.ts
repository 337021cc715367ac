/**
 * Issue 12's attacks on sign-up, tried again through the real Worker and real D1 (each
 * test names its finding): letter case splitting one person in two, mail-bombing one inbox
 * from many IPs and letter cases, relaying typed text from our domain, overwriting a
 * subscriber's settings without a token, probing an address's state by the answer or its
 * timing, and a confirmation link used twice. Sign-up mail is sent after the answer;
 * `request` waits for it, `fetchWith` can look before it runs.
 */
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/env';
import { unsubscribeUrl } from '../../src/links';
import { fakeResend } from '../delivery/helpers';
import { BASE_URL, fetchWith, request } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ageMailRequests,
  counts,
  emailsTo,
  h1,
  linkIn,
  local,
  nextIp,
  outbox,
  postForm,
  postJson,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';
import { suppress } from '../helpers/suppressions';
import { signedWebhook } from '../helpers/webhooks';

const config = parseConfig(env);

async function unsubscribe(row: { id: string; token_version: number }) {
  const link = await unsubscribeUrl(config, { id: row.id, tokenVersion: row.token_version });
  expect((await postForm(local(link), { 'List-Unsubscribe': 'One-Click' })).status).toBe(200);
}

describe('one address is one person (issue 12: letter case splits one person in two)', () => {
  it('does not create a second subscriber for Victim@Example.org while victim@example.org is active', async () => {
    const victim = await subscribeAndConfirm('victim@example.org');
    await ageMailRequests(11);
    const response = await postForm('/subscribe', { email: 'Victim@Example.org', interests: 'spam' });
    expect(response.status).toBe(200);
    const { n } = (await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM subscribers WHERE lower(email) = 'victim@example.org'`,
    ).first<{ n: number }>())!;
    expect(n).toBe(1);
    expect(await rowOf('victim@example.org')).toEqual(victim);
    const mails = await emailsTo('victim@example.org');
    expect(mails.at(-1)!.subject).toBe('You are already subscribed to Papers Digest');
    // Sent to the address as the subscriber typed it, not as the stranger did.
    expect(mails.at(-1)!.to).toBe('victim@example.org');
  });

  it('keeps the address as typed for display, and the database refuses a second spelling', async () => {
    await postForm('/subscribe', { email: 'Ada.Lovelace@Example.ORG' });
    expect((await rowOf('ada.lovelace@example.org'))!.email).toBe('Ada.Lovelace@example.org');
    expect((await emailsTo('ada.lovelace@example.org'))[0]!.to).toBe('Ada.Lovelace@example.org');
    await expect(
      env.DB.prepare(
        `INSERT INTO subscribers (id, email, created_at, updated_at) VALUES ('dupe', 'ADA.LOVELACE@example.org', 'x', 'x')`,
      ).run(),
    ).rejects.toThrow(/UNIQUE/);
  });

  it('mails nobody when a complained address signs up again in other letter case', async () => {
    await suppress('Complainer@example.org', 'complained');
    const before = await counts();
    const response = await postJson('/subscribe', { email: 'COMPLAINER@example.org' });
    expect(response.status).toBe(202);
    expect(await counts()).toEqual(before);
  });
});

describe('sign-up caps kept in D1 (issue 12: mail-bombing)', () => {
  it('sends one address one email per 10 minutes, whatever the IP, letter case or channel', async () => {
    const spellings = ['bomb@example.net', 'Bomb@example.net', 'BOMB@EXAMPLE.NET', 'bOmB@Example.net'];
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const email = spellings[attempt % spellings.length]!;
      const response =
        attempt % 2 === 0 ? await postForm('/subscribe', { email }) : await postJson('/subscribe', { email });
      statuses.push(response.status);
    }
    // Every attempt gets the usual answer (no 429 that would tell an attacker anything)...
    expect(new Set(statuses)).toEqual(new Set([200, 202]));
    // ...and the inbox gets exactly one email.
    expect(await emailsTo('bomb@example.net')).toHaveLength(1);
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM subscribers WHERE lower(email) = 'bomb@example.net'`,
    ).first<{
      n: number;
    }>();
    expect(rows!.n).toBe(1);
  });

  // Security review: the caps were keyed by the address, and every "+tag" spelling of an
  // inbox is another address, so one form could mail one inbox without limit.
  it('counts every "+tag" spelling of an inbox, and Gmail dots, as that one inbox', async () => {
    const spellings = [
      'inbox@example.net',
      'inbox+1@example.net',
      'Inbox+news@example.net',
      'inbox+a+b@example.net',
      'tagged.user@gmail.com',
      'taggeduser@gmail.com',
      't.a.g.g.e.d.u.s.e.r+x@googlemail.com',
    ];
    for (const email of spellings) expect((await postJson('/subscribe', { email })).status).toBe(202);
    const mailed = (await outbox()).map((email) => email.to.toLowerCase());
    expect(mailed.filter((to) => to.endsWith('@example.net') && to.startsWith('inbox'))).toHaveLength(1);
    expect(mailed.filter((to) => /@(gmail|googlemail)\.com$/.test(to))).toHaveLength(1);
    // Another inbox is not held back by them, and dots elsewhere still make other inboxes.
    await postJson('/subscribe', { email: 'inbox2@example.net' });
    await postJson('/subscribe', { email: 'in.box@example.net' });
    expect(await emailsTo('inbox2@example.net')).toHaveLength(1);
    expect(await emailsTo('in.box@example.net')).toHaveLength(1);
    // The daily cap, too, counts the inbox: three a day whatever the tags.
    for (let attempt = 0; attempt < 4; attempt++) {
      await ageMailRequests(11);
      await postJson('/subscribe', { email: `inbox+day${attempt}@example.net` });
    }
    expect((await outbox()).filter((email) => /^inbox(\+[^@]*)?@example\.net$/i.test(email.to))).toHaveLength(
      3,
    );
  });

  // Domain spellings a mail server reads as one domain (IDNA mapping: full-width letters, a
  // soft hyphen, the ideographic full stop; Unicode or punycode) are one inbox for the caps;
  // a trailing dot or a look-alike letter of another script is refused or another domain.
  it('counts every spelling of a domain that names the same inbox as that one inbox', async () => {
    const spellings = [
      'spelled@example.net',
      'spelled@ＥＸＡＭＰＬＥ.net',
      'spelled@exam\u00ADple.net',
      'spelled@example\u3002net',
      'spelled@bücher.example',
      'spelled@xn--bcher-kva.example',
      'spelled@BU\u0308CHER.example',
    ];
    for (const email of spellings) expect((await postJson('/subscribe', { email })).status, email).toBe(202);
    const mailed = (await outbox()).map((email) => email.to);
    expect(mailed.filter((to) => to === 'spelled@example.net')).toHaveLength(1);
    expect(mailed.filter((to) => to === 'spelled@xn--bcher-kva.example')).toHaveLength(1);
    expect(mailed.filter((to) => to.startsWith('spelled@'))).toHaveLength(2);
    expect((await postJson('/subscribe', { email: 'spelled@example.net.' })).status).toBe(400);
    expect((await postJson('/subscribe', { email: 'spelled@exаmple.net' })).status).toBe(202); // Cyrillic а
    expect(await emailsTo('spelled@xn--exmple-4nf.net')).toHaveLength(1);
  });

  it('holds the cap when sign-ups of one address race each other', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        postJson('/subscribe', { email: index % 2 ? 'Race@example.net' : 'race@example.net' }),
      ),
    );
    expect(await emailsTo('race@example.net')).toHaveLength(1);
  });

  it('sends at most 3 emails per address per 24 hours, then again the next day', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await postJson('/subscribe', { email: 'daily-cap@example.net' });
      await ageMailRequests(11);
    }
    expect(await emailsTo('daily-cap@example.net')).toHaveLength(3);
    await ageMailRequests(24 * 60);
    await postJson('/subscribe', { email: 'daily-cap@example.net' });
    expect(await emailsTo('daily-cap@example.net')).toHaveLength(4);
  });

  // Security review: the per-address caps bound what one inbox gets, but one IP could sign
  // up 10 new addresses a minute (the burst limit), 14,400 a day, each mailed: catch-all
  // domains flooded, bounces to spam traps, the Resend quota of the digests spent.
  it('accepts at most 20 form submissions per IP a day, whatever the addresses', async () => {
    // The burst limiter left out, as if the client kept under 10 a minute all day.
    const bindings = { ...env, SUBSCRIBE_IP_LIMITER: undefined } as unknown as Env;
    const signUp = async (email: string, ip: string, json = false) =>
      (
        await fetchWith(
          new Request(`${BASE_URL}/subscribe`, {
            method: 'POST',
            headers: json
              ? { 'content-type': 'application/json', 'cf-connecting-ip': ip }
              : {
                  'content-type': 'application/x-www-form-urlencoded',
                  origin: BASE_URL,
                  'cf-connecting-ip': ip,
                },
            body: json ? JSON.stringify({ email }) : new URLSearchParams({ email }).toString(),
          }),
          bindings,
        )
      ).response;
    const before = (await outbox()).length;
    const statuses: number[] = [];
    for (let index = 0; index < 20; index++) {
      statuses.push(
        (await signUp(`flood-${index}@catch-all.example`, '203.0.113.50', index % 2 === 0)).status,
      );
    }
    expect(new Set(statuses)).toEqual(new Set([200, 202]));
    const refused = await signUp('flood-20@catch-all.example', '203.0.113.50', true);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect(await refused.json()).toMatchObject({ error: { code: 'daily_limit' } });
    const form = await signUp('flood-21@catch-all.example', '203.0.113.50');
    expect(form.status).toBe(429);
    expect(await form.text()).toContain('too many requests from your network today');
    expect((await outbox()).length - before).toBe(20);
    expect(await rowOf('flood-21@catch-all.example')).toBeNull();
    // Someone else signs up as usual.
    expect((await signUp('neighbour@example.net', '203.0.113.51', true)).status).toBe(202);
  });
});

/** Resend reporting a bounce or complaint. */
async function resendReports(type: 'email.bounced' | 'email.complained', to: string) {
  const response = await signedWebhook({
    type,
    created_at: new Date().toISOString(),
    data: {
      email_id: crypto.randomUUID(),
      to: [to],
      ...(type === 'email.bounced' ? { bounce: { type: 'Permanent' } } : {}),
    },
  });
  expect(response.status).toBe(200);
}

describe('a suppression covers the whole mailbox (a complainer is one "+tag" away)', () => {
  it('mails nobody at another "+tag" or Gmail-dot spelling of a complained or bounced inbox', async () => {
    await suppress('plain-complainer@example.org', 'complained'); // recorded before mailboxes counted
    await resendReports('email.complained', 'complained.inbox@gmail.com');
    await resendReports('email.bounced', 'bounced-inbox@example.org');
    await resendReports('email.complained', 'tagged.complainer+news@example.org');
    const before = await counts();
    for (const email of [
      'plain-complainer+papers@example.org',
      'complained.inbox+papers@gmail.com',
      'c.o.m.p.l.a.i.n.e.d.inbox@googlemail.com',
      'Bounced-Inbox+1@example.org',
      'tagged.complainer@example.org',
      'tagged.complainer+other@example.org',
    ]) {
      expect((await postJson('/subscribe', { email })).status).toBe(202);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('the answer is identical for every address state (issue 12: timing oracle)', () => {
  /** A D1 binding whose every statement waits until `open()`: a response that arrives while
   *  it is shut cannot have waited on the database. The per-IP daily count (form_submissions)
   *  passes: it is keyed by the client, never by the address, so it is the same for every state. */
  function gatedDb(real: D1Database) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const real_ = Symbol('real');
    type Wrapped = D1PreparedStatement & { [real_]: D1PreparedStatement };
    const wrap = (statement: D1PreparedStatement): Wrapped =>
      ({
        [real_]: statement,
        bind: (...values: unknown[]) => wrap(statement.bind(...values)),
        first: async (column?: string) => {
          await gate;
          return column === undefined ? statement.first() : statement.first(column);
        },
        run: async () => {
          await gate;
          return statement.run();
        },
        all: async () => {
          await gate;
          return statement.all();
        },
        raw: async () => {
          await gate;
          return statement.raw();
        },
      }) as unknown as Wrapped;
    const db = {
      prepare: (query: string) =>
        /\bform_submissions\b/.test(query) ? real.prepare(query) : wrap(real.prepare(query)),
      batch: async (statements: Wrapped[]) => {
        await gate;
        return real.batch(statements.map((statement) => statement[real_]));
      },
      exec: async (query: string) => {
        await gate;
        return real.exec(query);
      },
    } as unknown as D1Database;
    return { db, open };
  }

  async function stateOf(kind: string): Promise<string> {
    const email = `state-${kind}-${crypto.randomUUID().slice(0, 6)}@example.net`;
    if (kind === 'new') return email;
    if (kind === 'pending') {
      await postForm('/subscribe', { email });
    } else if (kind === 'active' || kind === 'unsubscribed') {
      const row = await subscribeAndConfirm(email);
      if (kind === 'unsubscribed') await unsubscribe(row);
    } else if (kind === 'bounced') {
      await suppress(email, 'bounced');
    } else if (kind === 'erased') {
      await suppress(email, 'erased');
    }
    await ageMailRequests(11);
    return email;
  }

  it.each(['form', 'json'])(
    'answers %s sign-ups before touching the database, the same for every state',
    async (format) => {
      const answers: string[] = [];
      for (const kind of ['new', 'pending', 'active', 'unsubscribed', 'bounced', 'erased']) {
        const email = await stateOf(kind);
        const { db, open } = gatedDb(env.DB);
        const before = (await emailsTo(email)).length;
        const body =
          format === 'json'
            ? JSON.stringify({ email, interests: 'graphs' })
            : new URLSearchParams({ email, interests: 'graphs' });
        const pending = fetchWith(
          new Request(`${BASE_URL}/subscribe`, {
            method: 'POST',
            headers: {
              'content-type': format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
              origin: BASE_URL,
              'cf-connecting-ip': nextIp(),
            },
            body,
          }),
          { ...env, DB: db },
          { waitForBackground: false },
        );
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000));
        const first = await Promise.race([pending, timeout]);
        expect(first, `${kind}: the answer waited for the database`).not.toBe('timeout');
        const { response, background } = first as Awaited<typeof pending>;
        answers.push(`${response.status} ${(await response.text()).replaceAll(email, 'EMAIL')}`);
        // Nothing was sent before the answer; the work runs once the database opens.
        expect((await emailsTo(email)).length).toBe(before);
        open();
        await background;
        const after = (await emailsTo(email)).length;
        expect(after - before, kind).toBe(['bounced'].includes(kind) ? 0 : 1);
      }
      expect(new Set(answers).size).toBe(1);
    },
  );
});

describe('emails relay nothing typed into the form (issue 12: spam relay)', () => {
  const SPAM = 'FREE PRIZE visit http://evil.example/claim';

  it('repeats neither the interests in the confirmation nor in the "already subscribed" email', async () => {
    await postForm('/subscribe', { email: 'relay@example.net', interests: SPAM });
    const [confirmation] = await emailsTo('relay@example.net');
    for (const part of [confirmation!.html, confirmation!.text, confirmation!.subject]) {
      expect(part).not.toContain('FREE PRIZE');
      expect(part).not.toContain('evil.example');
    }
    // Confirmed, the subscriber sees them on our own page (escaped), and can change them there.
    const confirmed = await postForm(local(linkIn(confirmation!.text, '/confirm')), {});
    const html = await confirmed.text();
    expect(html).toContain('FREE PRIZE visit http://evil.example/claim');
    expect(html).not.toContain('href="http://evil.example');

    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'relay@example.net', interests: SPAM });
    const notice = (await emailsTo('relay@example.net')).at(-1)!;
    expect(notice.subject).toBe('You are already subscribed to Papers Digest');
    expect(`${notice.html}${notice.text}`).not.toContain('evil.example');
  });
});

describe('a sign-up never changes an existing subscriber (issue 12: settings overwritten without a token)', () => {
  it('leaves an unsubscribed subscriber untouched until the new link is confirmed', async () => {
    const row = await subscribeAndConfirm('returning@example.net', {
      interests: 'mine',
      frequency: 'weekly',
      send_hour: '6',
      time_zone: 'Asia/Tokyo',
    });
    await unsubscribe(row);
    const before = await rowOf('returning@example.net');
    await ageMailRequests(11);
    await postForm('/subscribe', {
      email: 'Returning@example.net',
      interests: 'overwritten',
      frequency: 'daily',
      send_hour: '18',
      time_zone: 'UTC',
    });
    expect(await rowOf('returning@example.net')).toEqual(before);
    const link = linkIn((await emailsTo('returning@example.net')).at(-1)!.text, '/confirm');
    // The GET page shows the schedule asked for, but changes nothing.
    expect(await (await request(local(link))).text()).toContain('every day at 18:00 (UTC)');
    expect(await rowOf('returning@example.net')).toEqual(before);
    await postForm(local(link), {});
    expect(await rowOf('returning@example.net')).toMatchObject({
      status: 'active',
      interests: 'overwritten',
      frequency: 'daily',
      send_hour: 18,
      time_zone: 'UTC',
    });
  });

  it('keeps what a returning subscriber left blank', async () => {
    const row = await subscribeAndConfirm('blank@example.net', {
      interests: 'kept topic',
      frequency: 'weekly',
    });
    await unsubscribe(row);
    await ageMailRequests(11);
    await postJson('/subscribe', { email: 'blank@example.net' });
    await postForm(local(linkIn((await emailsTo('blank@example.net')).at(-1)!.text, '/confirm')), {});
    expect(await rowOf('blank@example.net')).toMatchObject({
      status: 'active',
      interests: 'kept topic',
      frequency: 'weekly',
      consent_method: 'api',
    });
  });

  it('leaves a pending subscriber untouched', async () => {
    await postForm('/subscribe', { email: 'still-pending@example.net', interests: 'original' });
    const before = await rowOf('still-pending@example.net');
    await ageMailRequests(11);
    await postJson('/subscribe', { email: 'still-pending@example.net', interests: 'changed', send_hour: 3 });
    expect(await rowOf('still-pending@example.net')).toEqual(before);
  });
});

// Security review: a pending row holds what its first sign-up typed, and anyone can type an
// address. The owner's own later sign-up applied only the fields it gave, so whatever the
// owner left blank (interests, and with the API the schedule) came from the stranger, and
// their text showed in every digest's footer ("Your interests: …") once the owner confirmed.
describe("a stranger's sign-up decides nothing the owner confirms", () => {
  it("applies the owner's own sign-up, defaults for what it left blank, over a stranger's pending one", async () => {
    await postJson('/subscribe', {
      email: 'seeded@example.net',
      interests: 'Urgent: verify your account at evil.example',
      frequency: 'weekly',
      send_hour: 3,
      time_zone: 'Pacific/Kiritimati',
    });
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'seeded@example.net', interests: '' });
    const link = local(linkIn((await emailsTo('seeded@example.net')).at(-1)!.text, '/confirm'));
    expect(await (await request(link)).text()).toContain('every day at 08:00 (UTC)');
    expect((await postForm(link, {})).status).toBe(200);
    expect(await rowOf('seeded@example.net')).toMatchObject({
      status: 'active',
      interests: '',
      frequency: 'daily',
      send_hour: 8,
      time_zone: 'UTC',
    });
  });
});

describe('confirm links (issue 12: a confirm link used twice shows an error page)', () => {
  it('shows the confirmed page for the older of two confirmation emails', async () => {
    await postForm('/subscribe', { email: 'two-mails@example.net', interests: 'first' });
    await ageMailRequests(11);
    await postForm('/subscribe', { email: 'two-mails@example.net', interests: 'second' });
    const [older, newer] = await emailsTo('two-mails@example.net');
    expect((await postForm(local(linkIn(newer!.text, '/confirm')), {})).status).toBe(200);
    const active = await rowOf('two-mails@example.net');
    for (const response of [
      await request(local(linkIn(older!.text, '/confirm'))),
      await postForm(local(linkIn(older!.text, '/confirm')), {}),
    ]) {
      expect(response.status).toBe(200);
      expect(h1(await response.text())).toBe('Subscription confirmed');
    }
    expect(await rowOf('two-mails@example.net')).toEqual(active);
    expect(active!.interests).toBe('second');
  });
});

/** A JSON sign-up through the Worker with the Resend transport (its mail sent before this returns). */
function signUpWithResend(body: Record<string, string>) {
  return fetchWith(
    new Request(`${BASE_URL}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextIp() },
      body: JSON.stringify(body),
    }),
    { ...env, RESEND_API_KEY: 're_test_signup' },
  );
}

describe('sign-up mail failures', () => {
  afterEach(() => vi.restoreAllMocks());

  it('wait out a 429 and send the same request again, so a burst of sign-ups loses no confirmation', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const requests: { key: string | null; to: string }[] = [];
    fakeHttp.use(
      http.post('https://api.resend.com/emails/batch', async ({ request }) => {
        const [email] = (await request.json()) as { to: string | string[] }[];
        requests.push({ key: request.headers.get('idempotency-key'), to: String(email!.to) });
        // Another sender on the team filled the window: Resend's 429 and its headers.
        return requests.length === 1
          ? HttpResponse.json(
              { name: 'rate_limit_exceeded', message: 'Too many requests.', statusCode: 429 },
              {
                status: 429,
                headers: {
                  'retry-after': '1',
                  'ratelimit-limit': '2',
                  'ratelimit-remaining': '0',
                  'ratelimit-reset': '1',
                },
              },
            )
          : HttpResponse.json({ data: [{ id: crypto.randomUUID() }] });
      }),
    );
    const { response } = await signUpWithResend({ email: 'burst@example.net' });
    expect(response.status).toBe(202);
    // Sent again after the second Resend asked for, under the same key: one email.
    expect(requests).toHaveLength(2);
    expect(requests[1]!.key).toBe(requests[0]!.key);
    expect(requests[1]!.to).toBe('burst@example.net');
    const logged = errors.mock.calls.map((call) => String(call[0]));
    expect(
      logged.filter((line) => line.includes('signup_failed') || line.includes('requested_mail_failed')),
    ).toEqual([]);
  });

  it('ask again under the same key when the answer is lost, so an email that went out is not sent twice', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    // Resend accepts the confirmation and sends it, then the connection drops before its answer.
    const resend = fakeResend(['accept-then-drop']);
    const signUp = () => signUpWithResend({ email: 'dropped@example.net', interests: 'asked for' });
    expect((await signUp()).response.status).toBe(202);
    // Asked again under the same key and body: Resend answers from its memory, sends nothing.
    expect(resend.requests.map((request) => request.key)).toEqual([
      resend.requests[0]!.key,
      resend.requests[0]!.key,
    ]);
    expect(resend.delivered.map((email) => email.to)).toEqual(['dropped@example.net']);
    // The reservation the mailed link names is kept: the 10-minute gap holds, nobody is
    // told it failed, and a second sign-up at once sends no second confirmation.
    const requestId = resend.requests[0]!.key!.replace('mail-request-', '');
    expect(
      await env.DB.prepare('SELECT kind FROM mail_requests WHERE id = ?').bind(requestId).first('kind'),
    ).toBe('confirm');
    expect((await signUp()).response.status).toBe(202);
    expect(resend.delivered).toHaveLength(1);
    const logged = errors.mock.calls.map((call) => String(call[0]));
    expect(logged.filter((line) => line.includes('requested_mail_failed'))).toEqual([]);
  });

  it('are logged, not swallowed, give the cap back, and leave the answer unchanged', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let down = true;
    const keys: (string | null)[] = [];
    fakeHttp.use(
      http.post('https://api.resend.com/emails/batch', ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        return down
          ? HttpResponse.json(
              { name: 'internal_server_error', message: 'Resend is down', statusCode: 500 },
              { status: 500 },
            )
          : HttpResponse.json({ data: [{ id: crypto.randomUUID() }] });
      }),
    );
    const signUp = () => signUpWithResend({ email: 'unlucky@example.net' });
    const { response } = await signUp();
    expect(response.status).toBe(202);
    // A 500 may hide an acceptance: asked again under the same key, then given up on.
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    down = false;
    const logged = errors.mock.calls
      .map((call) => String(call[0]))
      .find((line) => line.includes('signup_failed'));
    expect(logged).toBeDefined();
    expect(JSON.parse(logged!)).toMatchObject({ event: 'signup_failed', level: 'error' });
    // Resend's reason is in the log (never in an answer: see link-scope.test.ts).
    const reason = errors.mock.calls
      .map((call) => String(call[0]))
      .find((line) => line.includes('requested_mail_failed'));
    expect(JSON.parse(reason!)).toMatchObject({ kind: 'confirm', level: 'error' });
    expect(reason).toContain('Resend is down');
    const reserved = await env.DB.prepare(`SELECT COUNT(*) AS n FROM mail_requests`).first<{ n: number }>();
    // Trying again at once works: the failed attempt did not use up the 10-minute slot.
    const retry = await signUp();
    expect(retry.response.status).toBe(202);
    expect(keys).toHaveLength(4);
    expect(keys[3]).not.toBe(keys[0]);
    const after = await env.DB.prepare(`SELECT COUNT(*) AS n FROM mail_requests`).first<{ n: number }>();
    expect(after!.n).toBe(reserved!.n + 1);
  });
});
