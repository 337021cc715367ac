/**
 * An operator's tools for one address, through the real Worker with real D1: looking it
 * up (settings and counts, never a token), lifting a suppression that Resend's webhook
 * recorded (a complaint only when named; the person must sign up and confirm again, and
 * no older link revives the subscription), and erasing it on request through the same
 * erasure as the person's own. Each answers bad input with a clear 400/415, repeats
 * safely, needs the admin token (Bearer for changes) and logs no address.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { preferencesUrl } from '../../src/links';
import { insertPapers, insertSentDelivery, snapshotPapers } from '../factories';
import { ADMIN_TOKEN, adminRequest, request } from '../helpers/app';
import * as person from '../helpers/subscribers';
import { suppress, suppressionOf } from '../helpers/suppressions';
import { signedWebhook } from '../helpers/webhooks';

const config = parseConfig(env);

/** The look-up's answer, as far as these tests read it. */
interface Lookup {
  subscriber: { id: string; status: string } | null;
  suppression: { reason: string; since: string } | null;
}
const papers = snapshotPapers();

function adminJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return adminRequest(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const lookup = (email: string) =>
  adminRequest(`/admin/subscribers/lookup?email=${encodeURIComponent(email)}`);
const lift = (body: unknown) => adminJson('/admin/suppressions/lift', body);
const erase = (body: unknown) => adminJson('/admin/subscribers/erase', body);

/** What Resend posts when mail to `email` bounced for good or was reported as spam. */
async function resendReports(email: string, type: 'email.bounced' | 'email.complained') {
  const at = new Date().toISOString();
  const response = await signedWebhook({
    type,
    created_at: at,
    data: {
      created_at: at,
      email_id: crypto.randomUUID(),
      to: [email],
      ...(type === 'email.bounced' ? { bounce: { type: 'Permanent', message: 'mailbox full' } } : {}),
    },
  });
  expect(response.status).toBe(200);
  expect((await person.rowOf(email))?.status).toBe('suppressed');
}

/** Every log line a block writes, as text. */
async function logsOf(action: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void lines.push(args.join(' ')));
  try {
    await action();
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

beforeAll(async () => {
  await insertPapers(env.DB, papers.slice(0, 3));
});

afterEach(() => vi.restoreAllMocks());

describe('GET /admin/subscribers/lookup', () => {
  it('shows status, settings and counts of an address, whatever its letter case, and never a token', async () => {
    const row = await person.subscribeAndConfirm('Lookup.Ada@example.com', { frequency: 'weekly' });
    await insertSentDelivery(env.DB, {
      id: `del-${row.id}`,
      editionId: `ed-${row.id}`,
      subscriberId: row.id,
      periodKey: '2026-W48',
      ranking: papers.slice(0, 3).map((paper) => ({ id: paper.id, score: 1, why: [] })),
      sentAt: '2026-11-26T08:01:00.000Z',
      subject: '3 new papers',
    });
    await env.DB.prepare(
      "INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES (?, ?, 1, '2026-11-26T09:00:00.000Z')",
    )
      .bind(row.id, papers[0]!.id)
      .run();

    const response = await lookup('lookup.ada@EXAMPLE.com');
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body).toMatchObject({
      email: 'lookup.ada@example.com',
      subscriber: {
        id: row.id,
        email: 'Lookup.Ada@example.com',
        status: 'active',
        frequency: 'weekly',
        suppressed_reason: null,
        consent_method: 'form',
        deliveries: { queued: 0, sending: 0, sent: 1, failed: 0, skipped: 0 },
        last_sent_at: '2026-11-26T08:01:00.000Z',
        votes: { up: 1, down: 0 },
      },
      suppression: null,
    });
    expect(text).not.toMatch(/token|term_weights|ip_hash/);
    expect(text).not.toContain(
      new URL(await preferencesUrl(config, rowToSubscriber(row))).searchParams.get('token')!,
    );
  });

  it('shows a suppression recorded for a bounce, and one kept for an address it no longer holds', async () => {
    await person.subscribeAndConfirm('lookup-bounced@example.com');
    await resendReports('lookup-bounced@example.com', 'email.bounced');
    const bounced = await (await lookup('lookup-bounced@example.com')).json<Lookup>();
    expect(bounced.subscriber).toMatchObject({ status: 'suppressed', suppressed_reason: 'bounced' });
    expect(bounced.suppression!.reason).toBe('bounced');
    expect(Date.parse(bounced.suppression!.since)).toBeGreaterThan(Date.now() - 60_000);

    await suppress('lookup-erased@example.com', 'erased');
    expect(await (await lookup('lookup-erased@example.com')).json()).toMatchObject({
      subscriber: null,
      suppression: { reason: 'erased' },
    });
    expect(await (await lookup('nobody-at-all@example.com')).json()).toEqual({
      email: 'nobody-at-all@example.com',
      subscriber: null,
      suppression: null,
    });
  });

  it('reads a "+" that the URL turned into a space back as "+"', async () => {
    const row = await person.subscribeAndConfirm('lookup+news@example.com');
    const response = await adminRequest('/admin/subscribers/lookup?email=lookup+news@example.com');
    expect(response.status).toBe(200);
    expect((await response.json<Lookup>()).subscriber!.id).toBe(row.id);
  });

  it('answers a missing, invalid or unexpected parameter with a 400 naming it', async () => {
    for (const query of ['', '?email=', '?email=not-an-address', '?email=a@example.com&status=active']) {
      const response = await adminRequest(`/admin/subscribers/lookup${query}`);
      expect(response.status, query).toBe(400);
      const { error } = await response.json<{ error: { code: string; fields: Record<string, string[]> } }>();
      expect(error.code).toBe('invalid_request');
      expect(Object.keys(error.fields)).toEqual([query.includes('status') ? 'query' : 'email']);
    }
  });

  it('logs the look-up without the address', async () => {
    const row = await person.subscribeAndConfirm('lookup-log@example.com');
    const logs = await logsOf(() => lookup('lookup-log@example.com'));
    expect(logs).toContain('admin_lookup');
    expect(logs).toContain(row.id);
    expect(logs.toLowerCase()).not.toContain('lookup-log@example.com');
  });
});

describe('POST /admin/subscribers/lookup', () => {
  // A GET's query is part of the request URL, which Workers Logs (observability) and
  // `wrangler tail` record for every request: the address would be in the logs.
  it('looks an address up from a JSON body, so it stays out of the request URL', async () => {
    const row = await person.subscribeAndConfirm('lookup-post@example.com');
    const response = await adminJson('/admin/subscribers/lookup', { email: 'Lookup-Post@example.com' });
    expect(response.status).toBe(200);
    const body = await response.json<Lookup>();
    expect(body).toEqual(await (await lookup('Lookup-Post@example.com')).json());
    expect(body.subscriber).toMatchObject({ id: row.id, status: 'active' });
  });

  it('answers a missing or invalid address, or another field, with a 400 naming it', async () => {
    for (const [body, field] of [
      [{}, 'email'],
      [{ email: 'not-an-address' }, 'email'],
      [{ email: 'a@example.com', status: 'active' }, 'body'],
    ] as const) {
      const response = await adminJson('/admin/subscribers/lookup', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = await response.json<{ error: { code: string; fields: Record<string, string[]> } }>();
      expect(error.code).toBe('invalid_request');
      expect(Object.keys(error.fields)).toEqual([field]);
    }
  });
});

describe('POST /admin/suppressions/lift', () => {
  it('lifts a bounce without subscribing anyone: the owner signs up and confirms again', async () => {
    const row = await person.subscribeAndConfirm('lift-bounce@example.com');
    const oldPreferences = person.local(await preferencesUrl(config, rowToSubscriber(row)));
    await resendReports('lift-bounce@example.com', 'email.bounced');
    // While suppressed, a sign-up sends nothing.
    await person.ageMailRequests(60 * 24);
    const before = (await person.emailsTo('lift-bounce@example.com')).length;
    await person.postForm('/subscribe', { email: 'lift-bounce@example.com' });
    expect((await person.emailsTo('lift-bounce@example.com')).length).toBe(before);

    const response = await lift({ email: 'Lift-Bounce@example.com' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      email: 'Lift-Bounce@example.com',
      lifted: true,
      reasons: ['bounced'],
      subscriber: { id: row.id, status: 'unsubscribed' },
    });
    expect(await suppressionOf('lift-bounce@example.com')).toBeNull();
    const lifted = (await person.rowOf('lift-bounce@example.com'))!;
    expect(lifted).toMatchObject({ status: 'unsubscribed', suppressed_reason: null, suppressed_at: null });
    // No link mailed before the bounce opens the subscription again.
    expect(lifted.token_version).toBe(row.token_version + 1);
    expect((await request(oldPreferences, { headers: { accept: 'application/json' } })).status).toBe(410);

    // Repeating it changes nothing, and says so.
    const again = await lift({ email: 'lift-bounce@example.com' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      lifted: false,
      reasons: [],
      subscriber: { status: 'unsubscribed' },
    });

    // The owner signs up again: a confirmation email comes, and confirming makes it active.
    await person.postForm('/subscribe', { email: 'lift-bounce@example.com' });
    const mails = await person.emailsTo('lift-bounce@example.com');
    expect(mails.length).toBe(before + 1);
    expect((await person.rowOf('lift-bounce@example.com'))!.status).toBe('unsubscribed');
    await person.postForm(person.local(person.linkIn(mails.at(-1)!.text, '/confirm')), {});
    expect((await person.rowOf('lift-bounce@example.com'))!.status).toBe('active');
  });

  it('lifts a complaint only when asked to by name, and changes nothing otherwise', async () => {
    await person.subscribeAndConfirm('lift-complaint@example.com');
    await resendReports('lift-complaint@example.com', 'email.complained');
    const before = await person.rowOf('lift-complaint@example.com');

    for (const body of [
      { email: 'lift-complaint@example.com' },
      { email: 'lift-complaint@example.com', complaint: false },
    ]) {
      const refused = await lift(body);
      expect(refused.status).toBe(409);
      expect((await refused.json<{ error: { code: string } }>()).error.code).toBe('complaint_not_lifted');
    }
    expect(await person.rowOf('lift-complaint@example.com')).toEqual(before);
    expect((await suppressionOf('lift-complaint@example.com'))!.reason).toBe('complained');

    const response = await lift({ email: 'lift-complaint@example.com', complaint: true });
    expect(await response.json()).toMatchObject({ lifted: true, reasons: ['complained'] });
    expect(await suppressionOf('lift-complaint@example.com')).toBeNull();
    expect((await person.rowOf('lift-complaint@example.com'))!.status).toBe('unsubscribed');
  });

  it('lifts what a bounce of a "+tag" spelling recorded for the whole mailbox', async () => {
    await person.subscribeAndConfirm('lift-tag+list@example.com');
    await resendReports('lift-tag+list@example.com', 'email.bounced');
    // The mailbox is blocked under its other spellings too.
    expect((await suppressionOf('lift-tag@example.com'))!.reason).toBe('bounced');
    expect(await (await lift({ email: 'lift-tag+list@example.com' })).json()).toMatchObject({ lifted: true });
    expect(await suppressionOf('lift-tag+list@example.com')).toBeNull();
    expect(await suppressionOf('lift-tag@example.com')).toBeNull();
  });

  it('keeps an erased person erased: the bounce goes, the record that stops imports stays', async () => {
    await person.subscribeAndConfirm('lift-gone@example.com');
    await resendReports('lift-gone@example.com', 'email.bounced');
    expect(await (await erase({ email: 'lift-gone@example.com' })).json()).toMatchObject({ erased: true });
    expect((await suppressionOf('lift-gone@example.com'))!.reason).toBe('bounced');

    expect(await (await lift({ email: 'lift-gone@example.com' })).json()).toMatchObject({
      lifted: true,
      reasons: ['bounced'],
      subscriber: null,
    });
    expect((await suppressionOf('lift-gone@example.com'))!.reason).toBe('erased');
    const imported = await adminJson('/admin/subscribers/import', [{ email: 'lift-gone@example.com' }]);
    expect(await imported.json()).toMatchObject({ imported: 0, skipped: 1 });
    // Signing up themselves still works: the owner's confirmation is fresh consent.
    await person.ageMailRequests(60 * 24);
    const before = (await person.emailsTo('lift-gone@example.com')).length;
    await person.postForm('/subscribe', { email: 'lift-gone@example.com' });
    expect((await person.emailsTo('lift-gone@example.com')).length).toBe(before + 1);
  });

  it('leaves an erasure alone, and says how that is lifted', async () => {
    await suppress('lift-erased@example.com', 'erased');
    const response = await lift({ email: 'lift-erased@example.com' });
    expect(response.status).toBe(200);
    const body = await response.json<{ lifted: boolean; message: string }>();
    expect(body.lifted).toBe(false);
    expect(body.message).toMatch(/erased/);
    expect((await suppressionOf('lift-erased@example.com'))!.reason).toBe('erased');
    expect(await (await lift({ email: 'never-suppressed@example.com' })).json()).toMatchObject({
      lifted: false,
      subscriber: null,
    });
  });

  it('answers bad input with a 400 or 415 naming the problem', async () => {
    const cases: [unknown, string, number, string][] = [
      [{}, 'application/json', 400, 'email'],
      [{ email: 'nope' }, 'application/json', 400, 'email'],
      [{ email: 'a@example.com', complaint: 'yes' }, 'application/json', 400, 'complaint'],
      [{ email: 'a@example.com', reason: 'bounced' }, 'application/json', 400, 'body'],
      ['{"email":', 'application/json', 400, ''],
      ['email=a@example.com', 'application/x-www-form-urlencoded', 415, ''],
    ];
    for (const [body, type, status, field] of cases) {
      const response = await adminJson('/admin/suppressions/lift', body, { 'content-type': type });
      expect(response.status, JSON.stringify(body)).toBe(status);
      const { error } = await response.json<{ error: { fields?: Record<string, string[]> } }>();
      if (field) expect(Object.keys(error.fields ?? {})).toContain(field);
    }
  });
});

describe('POST /admin/subscribers/erase', () => {
  it('erases the subscriber as their own request would, once, keeping only a keyed hash', async () => {
    const row = await person.subscribeAndConfirm('erase-me@example.com');
    const logs = await logsOf(async () => {
      const response = await erase({ email: 'ERASE-me@example.com' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ erased: true });
    });
    expect(logs).toContain('admin_erase');
    expect(logs.toLowerCase()).not.toContain('erase-me@example.com');
    expect(await person.rowOf('erase-me@example.com')).toBeNull();
    expect((await suppressionOf('erase-me@example.com'))!.reason).toBe('erased');
    const { n } = (await env.DB.prepare('SELECT COUNT(*) AS n FROM mail_requests WHERE subscriber_id = ?')
      .bind(row.id)
      .first<{ n: number }>())!;
    expect(n).toBe(0);

    const again = await erase({ email: 'erase-me@example.com' });
    expect(again.status).toBe(200);
    const body = await again.json<{ erased: boolean; message: string }>();
    expect(body.erased).toBe(false);
    expect(body.message).toMatch(/erased before/);
  });

  it('keeps a bounced address blocked for its bounce after erasing it', async () => {
    await person.subscribeAndConfirm('erase-bounced@example.com');
    await resendReports('erase-bounced@example.com', 'email.bounced');
    expect(await (await erase({ email: 'erase-bounced@example.com' })).json()).toMatchObject({
      erased: true,
    });
    expect((await suppressionOf('erase-bounced@example.com'))!.reason).toBe('bounced');
  });

  it('says so when nobody has the address, and refuses bad input', async () => {
    expect(await (await erase({ email: 'erase-nobody@example.com' })).json()).toMatchObject({
      erased: false,
      message: expect.stringMatching(/no subscriber/),
    });
    expect(await suppressionOf('erase-nobody@example.com')).toBeNull();
    for (const body of [{}, { email: '' }, { email: 'x' }, { email: 'a@example.com', force: true }]) {
      expect((await erase(body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('auth of the operator tools', () => {
  const basic = `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`;
  const routes: [string, string][] = [
    ['GET', '/admin/subscribers/lookup?email=a@example.com'],
    ['POST', '/admin/subscribers/lookup'],
    ['POST', '/admin/suppressions/lift'],
    ['POST', '/admin/subscribers/erase'],
  ];

  it('refuses every route without the token, and changes only with Bearer', async () => {
    await person.subscribeAndConfirm('auth-target@example.com');
    for (const [method, path] of routes) {
      const init = (authorization?: string): RequestInit => ({
        method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify({ email: 'auth-target@example.com' }) } : {}),
      });
      expect((await request(path, init())).status, path).toBe(401);
      expect((await request(path, init('Bearer wrong-token-wrong-token'))).status, path).toBe(401);
      // A browser's Basic login may read, never change (a cross-site form carries it too).
      expect((await request(path, init(basic))).status, path).toBe(method === 'GET' ? 200 : 401);
    }
    expect((await person.rowOf('auth-target@example.com'))!.status).toBe('active');
  });
});
