/**
 * POST /webhooks/resend with real Resend payload shapes, signed the way Svix signs them:
 * valid, invalid, stale and replayed signatures; hard bounces, complaints and Resend
 * suppressions suppress the subscriber (and add a suppression row); delivered, delayed and
 * transient bounces are recorded on the delivery found through our tags or the message id.
 * Addresses match whatever their letter case, and oversized bodies are refused with 413
 * before they are read or their signature is computed.
 */
import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { TEMPORARY_FAILURE_RESENDS } from '../../src/delivery/webhook-events';
import { parseConfig } from '../../src/env';
import { nowIso } from '../../src/lib/time';
import { eraseSubscriber } from '../../src/subscriptions/erase';
import { adminRequest, BASE_URL, fetchWith, request } from '../helpers/app';
import { endlessBody } from '../helpers/streams';
import { suppressionOf } from '../helpers/suppressions';
import { signedWebhook } from '../helpers/webhooks';
import {
  deliver,
  deliveryOf,
  fakeResend,
  historyOf,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const signer = new Webhook(env.RESEND_WEBHOOK_SECRET);

function resendEvent(type: string, data: Record<string, unknown>) {
  return {
    type,
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: crypto.randomUUID(),
      from: 'Papers Digest <digest@example.com>',
      subject: 'Your papers',
      ...data,
    },
  };
}

/** Resend's suppression.added: the address in `data.email`, no `to`, no `email_id`. */
function suppressionAdded(email: string, origin: 'bounce' | 'complaint' | 'manual', sourceId: string | null) {
  const at = new Date().toISOString();
  return {
    type: 'suppression.added',
    created_at: at,
    data: { id: crypto.randomUUID(), email, origin, source_id: sourceId, created_at: at },
  };
}

/** A subscriber with one digest actually sent through the fake Resend. */
async function sentDigest() {
  const resend = fakeResend();
  await seedPaper({ ingestedAt: '2026-11-26T01:00:00.000Z' });
  const subscriber = await seedSubscriber();
  const { env: testEnv, queued } = resendEnv();
  await planViaAdmin(testEnv, { at: '2026-11-26T09:00:00.000Z' });
  await deliver(testEnv, sendMessageSchema.parse(queued[0]));
  const delivery = await deliveryOf(subscriber.id);
  expect(delivery!.status).toBe('sent');
  const email = resend.requests[0]!.emails[0]!;
  return { subscriber, delivery: delivery!, tags: email.tags!, emailId: delivery!.resend_id!, resend };
}

/**
 * Resend's email.failed about one of our digests, with its documented `failed.reason` and
 * the tags the email carried (as an object, the way Resend sends them today).
 */
function emailFailed(
  digest: { subscriber: { email: string }; emailId: string; tags: { name: string; value: string }[] },
  reason: string,
  createdAt?: Date,
) {
  const event = resendEvent('email.failed', {
    email_id: digest.emailId,
    to: [digest.subscriber.email],
    tags: Object.fromEntries(digest.tags.map((tag) => [tag.name, tag.value])),
    failed: { reason },
  });
  return createdAt ? { ...event, created_at: createdAt.toISOString() } : event;
}

async function quotaPause() {
  const row = await env.DB.prepare(`SELECT value FROM app_state WHERE key = 'resend_quota_pause'`).first<{
    value: string;
  }>();
  return row ? (JSON.parse(row.value) as { period: string; until: string }) : null;
}

async function subscriberRow(id: string) {
  return env.DB.prepare('SELECT status, suppressed_reason FROM subscribers WHERE id = ?')
    .bind(id)
    .first<{ status: string; suppressed_reason: string | null }>();
}

beforeEach(resetDelivery);

describe('signature checks', () => {
  it('accepts a correctly signed event and stores it', async () => {
    await seedSubscriber({ email: 'someone@example.org' });
    const response = await signedWebhook(resendEvent('email.sent', { to: ['someone@example.org'] }), {
      id: 'msg_valid_1',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
    const stored = await env.DB.prepare('SELECT type, recipient FROM webhook_events WHERE svix_id = ?')
      .bind('msg_valid_1')
      .first<{ type: string; recipient: string }>();
    expect(stored).toEqual({ type: 'email.sent', recipient: 'someone@example.org' });
  });

  it('rejects a signature made with another secret', async () => {
    const response = await signedWebhook(resendEvent('email.complained', { to: ['x@example.org'] }), {
      secret: `whsec_${btoa('some-other-secret-of-32-bytes!!!')}`,
    });
    expect(response.status).toBe(401);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('invalid_signature');
  });

  it('rejects a body altered after signing', async () => {
    const body = JSON.stringify(resendEvent('email.delivered', { to: ['x@example.org'] }));
    const at = new Date();
    const response = await request('/webhooks/resend', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': 'msg_tampered',
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': signer.sign('msg_tampered', at, body),
      },
      body: body.replace('email.delivered', 'email.complained'),
    });
    expect(response.status).toBe(401);
  });

  it('rejects stale and future timestamps (replays of captured requests)', async () => {
    const stale = await signedWebhook(resendEvent('email.delivered', { to: ['x@example.org'] }), {
      at: new Date(Date.now() - 10 * 60_000),
    });
    expect(stale.status).toBe(401);
    expect((await stale.json<{ error: { message: string } }>()).error.message).toMatch(/too old/);
    const future = await signedWebhook(resendEvent('email.delivered', { to: ['x@example.org'] }), {
      at: new Date(Date.now() + 10 * 60_000),
    });
    expect(future.status).toBe(401);
  });

  it('rejects requests without the Svix headers', async () => {
    const response = await request('/webhooks/resend', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('missing_signature');
  });

  // A machine endpoint: whatever the caller declares (no content-type, text/plain, an
  // Accept of text/html), its errors are JSON a sender can log, never an HTML page.
  it('answers its errors in JSON even to a request that does not say it is JSON', async () => {
    const missing = await request('/webhooks/resend', { method: 'POST', body: 'not json' });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await missing.json<{ error: { code: string } }>()).error.code).toBe('missing_signature');

    const at = new Date();
    const body = '{"type": "email.delivered", "data": {';
    const malformed = await request('/webhooks/resend', {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        accept: 'text/html,*/*',
        'svix-id': 'msg_malformed',
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': signer.sign('msg_malformed', at, body),
      },
      body,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await malformed.json<{ error: { code: string } }>()).error.code).toBe('invalid_json');
  });

  it('stores a redelivered event once and does not apply it twice', async () => {
    const { subscriber } = await sentDigest();
    const event = resendEvent('email.complained', { to: [subscriber.email] });
    const first = await signedWebhook(event, { id: 'msg_replayed' });
    expect(await first.json()).toEqual({ ok: true, duplicate: false });
    const second = await signedWebhook(event, { id: 'msg_replayed' });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ ok: true, duplicate: true });
    const count = await env.DB.prepare(
      `SELECT COUNT(*) AS count FROM webhook_events WHERE svix_id = 'msg_replayed'`,
    ).first<{
      count: number;
    }>();
    expect(count!.count).toBe(1);
  });
});

describe('event effects', () => {
  it('suppresses on a permanent bounce, adding a suppression row and skipping future digests', async () => {
    const { subscriber, tags, emailId } = await sentDigest();
    const response = await signedWebhook(
      resendEvent('email.bounced', {
        email_id: emailId,
        to: [subscriber.email],
        tags: Object.fromEntries(tags.map((tag) => [tag.name, tag.value])),
        bounce: {
          message: "The recipient's email provider rejected the email.",
          subType: 'General',
          type: 'Permanent',
        },
      }),
    );
    expect(response.status).toBe(200);
    expect(await subscriberRow(subscriber.id)).toEqual({
      status: 'suppressed',
      suppressed_reason: 'bounced',
    });
    expect((await suppressionOf(subscriber.email))!.reason).toBe('bounced');
    expect((await deliveryOf(subscriber.id))!.last_event).toBe('email.bounced');
    const stats = await (await adminRequest('/admin/stats')).json<{ subscribers: { suppressed: number } }>();
    expect(stats.subscribers.suppressed).toBe(1);

    // Never mailed again: the next planner run does not pick them.
    const { env: testEnv, queued } = resendEnv();
    await planViaAdmin(testEnv, { at: '2026-11-27T09:00:00.000Z' });
    expect(queued).toHaveLength(0);
  });

  it('only records a transient bounce on the delivery', async () => {
    const { subscriber, emailId } = await sentDigest();
    await signedWebhook(
      resendEvent('email.bounced', {
        email_id: emailId,
        to: [subscriber.email],
        bounce: { message: 'Mailbox full', subType: 'MailboxFull', type: 'Transient' },
      }),
    );
    expect((await subscriberRow(subscriber.id))!.status).toBe('active');
    expect((await deliveryOf(subscriber.id))!.last_event).toBe('email.bounced');
  });

  // A reason that is neither a quota nor a passing fault (a recipient Resend will not mail)
  // is permanent: sending again would fail again.
  it('fails the delivery on a permanent email.failed and gives its papers back, without suppressing anyone', async () => {
    const digest = await sentDigest();
    const { subscriber, emailId } = digest;
    const papersOf = async () => (await historyOf(subscriber.id)).length;
    expect(await papersOf()).toBeGreaterThan(0);
    const response = await signedWebhook(emailFailed(digest, 'invalid_recipient'));
    expect(response.status).toBe(200);
    const delivery = await deliveryOf(subscriber.id);
    expect(delivery!.status).toBe('failed');
    expect(delivery!.error).toBe('Resend could not send it (email.failed: invalid_recipient)');
    expect(await quotaPause()).toBeNull();
    expect(await papersOf()).toBe(0);
    expect((await subscriberRow(subscriber.id))!.status).toBe('active');
    // A stale event about the same email arriving afterwards does not make it 'sent' again.
    await signedWebhook({
      ...resendEvent('email.sent', { email_id: emailId, to: [subscriber.email] }),
      created_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect((await deliveryOf(subscriber.id))!.status).toBe('failed');
  });

  it('sends a digest Resend failed for its daily quota again once the quota resets, under a new key, once', async () => {
    const digest = await sentDigest();
    const { subscriber, delivery, emailId, resend } = digest;
    const failedAt = new Date();
    const response = await signedWebhook(emailFailed(digest, 'reached_daily_quota', failedAt));
    expect(response.status).toBe(200);
    let row = await deliveryOf(subscriber.id);
    // Back to queued, its claim (and the key Resend holds) dropped, parked for the planner.
    expect(row).toMatchObject({ status: 'queued', send_key: null, resend_id: null, enqueued_at: null });
    expect(row!.error).toContain('email.failed: reached_daily_quota');
    expect(await historyOf(subscriber.id)).toEqual([]);
    // The quota is spent: nothing goes out before it resets at the next UTC midnight.
    const midnight = new Date(
      Date.UTC(failedAt.getUTCFullYear(), failedAt.getUTCMonth(), failedAt.getUTCDate() + 1),
    );
    expect(await quotaPause()).toMatchObject({ period: 'daily', until: midnight.toISOString() });
    const paused = resendEnv();
    await planViaAdmin(paused.env, { at: '2026-11-26T10:00:00.000Z' });
    expect(paused.queued).toHaveLength(0);

    // A late event about the failed email, older than the failure, proves nothing.
    await signedWebhook({
      ...resendEvent('email.sent', { email_id: emailId, to: [subscriber.email] }),
      created_at: new Date(failedAt.getTime() - 60_000).toISOString(),
    });
    expect(await deliveryOf(subscriber.id)).toMatchObject({ status: 'queued', resend_id: null });

    await env.DB.prepare(
      `UPDATE app_state SET value = json_set(value, '$.until', '2000-01-01T00:00:00.000Z') WHERE key = 'resend_quota_pause'`,
    ).run();
    const resumed = resendEnv();
    await planViaAdmin(resumed.env, { at: '2026-11-26T10:00:00.000Z' });
    expect(resumed.queued).toHaveLength(1);
    const message = sendMessageSchema.parse(resumed.queued[0]);
    expect(message).toMatchObject({ editionId: delivery.edition_id, subscriberIds: [subscriber.id] });
    expect(await deliver(resumed.env, message)).toEqual({ acked: true, retryDelay: null });
    // A new key: Resend holds the old one as used, and would answer it with the failed email.
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).not.toBe(resend.requests[0]!.key);
    row = await deliveryOf(subscriber.id);
    expect(row).toMatchObject({ status: 'sent', resend_id: resend.delivered[1]!.id, error: null });
    expect(await historyOf(subscriber.id)).toEqual((JSON.parse(row!.paper_ids) as string[]).sort());
    // Once sent, it is not sent again.
    expect(await deliver(resumed.env, message, 2)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(2);
  });

  it(`sends a digest again at most ${TEMPORARY_FAILURE_RESENDS} times, then fails it for good`, async () => {
    const digest = await sentDigest();
    const { subscriber, delivery } = digest;
    await env.DB.prepare('UPDATE deliveries SET resends = ? WHERE id = ?')
      .bind(TEMPORARY_FAILURE_RESENDS, delivery.id)
      .run();
    expect((await signedWebhook(emailFailed(digest, 'reached_daily_quota'))).status).toBe(200);
    const row = await deliveryOf(subscriber.id);
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain('email.failed: reached_daily_quota');
    expect(row!.error).toContain(`not sent again: already sent again ${TEMPORARY_FAILURE_RESENDS} times`);
    expect(await historyOf(subscriber.id)).toEqual([]);
  });

  // The handler reads the reason loosely ('unknown' when absent): an event whose `failed`
  // lacks it must not be refused as "not a Resend event", or the failure is never recorded.
  it('records an email.failed whose failed object has no reason, as permanent', async () => {
    const digest = await sentDigest();
    const event = emailFailed(digest, '');
    const failed = { message: 'Something went wrong' };
    const response = await signedWebhook({ ...event, data: { ...event.data, failed } });
    expect(response.status).toBe(200);
    const row = await deliveryOf(digest.subscriber.id);
    expect(row!.status).toBe('failed');
    expect(row!.error).toBe('Resend could not send it (email.failed: unknown)');
  });

  it('applies a failure of the same email even when it arrives after a newer event about it', async () => {
    const digest = await sentDigest();
    const { subscriber, emailId } = digest;
    await signedWebhook(resendEvent('email.sent', { email_id: emailId, to: [subscriber.email] }));
    // Resend's clocks disagree by a little: the failure is stamped before the email.sent.
    await signedWebhook(emailFailed(digest, 'invalid_recipient', new Date(Date.now() - 5_000)));
    expect((await deliveryOf(subscriber.id))!.status).toBe('failed');
    expect(await historyOf(subscriber.id)).toEqual([]);
  });

  it('does not let a failure of an earlier email undo the digest sent again since', async () => {
    const digest = await sentDigest();
    const { subscriber, delivery } = digest;
    const failedAt = new Date(Date.now() - 120_000);
    await signedWebhook(emailFailed(digest, 'reached_daily_quota', failedAt));
    // Sent again (another email id), and Resend says so.
    await env.DB.prepare(
      `UPDATE deliveries SET status = 'sent', resend_id = 'second-email', sent_at = ?2 WHERE id = ?1`,
    )
      .bind(delivery.id, nowIso())
      .run();
    await signedWebhook(resendEvent('email.delivered', { email_id: 'second-email', to: [subscriber.email] }));
    // The first email's failure, delivered again under another svix-id (or an older one).
    await signedWebhook(emailFailed(digest, 'reached_daily_quota', failedAt));
    expect(await deliveryOf(subscriber.id)).toMatchObject({ status: 'sent', resend_id: 'second-email' });
  });

  // Resend's email.suppressed: it did not send the email at all (the address is on its
  // suppression list). The digest was never received, so the delivery is not 'sent'.
  it('fails the delivery on email.suppressed, as never sent, and suppresses the subscriber', async () => {
    const { subscriber, delivery, emailId, tags } = await sentDigest();
    const papersOf = async () => (await historyOf(subscriber.id)).length;
    const suppressed = (email_id: string | null) =>
      resendEvent('email.suppressed', {
        email_id,
        to: [subscriber.email],
        tags: Object.fromEntries(tags.map((tag) => [tag.name, tag.value])),
        suppressed: {
          message: 'This email address is on your suppression list.',
          type: 'OnSuppressionList',
        },
      });
    expect((await signedWebhook(suppressed(emailId))).status).toBe(200);
    const row = await deliveryOf(subscriber.id);
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain('email.suppressed');
    expect(row!.error).toContain('This email address is on your suppression list.');
    expect(await papersOf()).toBe(0);
    expect(await subscriberRow(subscriber.id)).toEqual({
      status: 'suppressed',
      suppressed_reason: 'suppressed',
    });
    // A stale event about it arriving afterwards does not make it 'sent' again.
    await signedWebhook({
      ...resendEvent('email.sent', { email_id: emailId, to: [subscriber.email] }),
      created_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect((await deliveryOf(subscriber.id))!.status).toBe('failed');

    // A row whose answer was lost (still 'sending') is not taken as sent by it either.
    await env.DB.batch([
      env.DB.prepare(
        `UPDATE deliveries SET status = 'sending', sent_at = NULL, resend_id = NULL, error = NULL,
         last_event = NULL, last_event_at = NULL WHERE id = ?`,
      ).bind(delivery.id),
    ]);
    await signedWebhook(suppressed(emailId));
    expect((await deliveryOf(subscriber.id))!.status).toBe('failed');
    expect(await papersOf()).toBe(0);
  });

  it('records the papers of a digest whose answer was lost when an event proves it was sent', async () => {
    // The consumer lost Resend's answer and the message ended in the dead-letter queue: the
    // row is 'failed' (at most once) and its papers are not in the history. (While it was
    // still 'sending', a claim in flight, they counted as received already.)
    const { subscriber, delivery, tags } = await sentDigest();
    await env.DB.batch([
      env.DB.prepare(
        `UPDATE deliveries SET status = 'failed', error = 'dead-lettered', sent_at = NULL, resend_id = NULL
         WHERE id = ?`,
      ).bind(delivery.id),
    ]);
    expect(await historyOf(subscriber.id)).toEqual([]);
    const response = await signedWebhook(
      resendEvent('email.delivered', {
        email_id: delivery.resend_id,
        to: [subscriber.email],
        tags: Object.fromEntries(tags.map((tag) => [tag.name, tag.value])),
      }),
    );
    expect(response.status).toBe(200);
    expect((await deliveryOf(subscriber.id))!.status).toBe('sent');
    // The retry now finds the row final and writes nothing: the history must come from here.
    expect(await historyOf(subscriber.id)).toEqual((JSON.parse(delivery.paper_ids) as string[]).sort());
  });

  it('suppresses on a complaint and on email.suppressed', async () => {
    const complained = await sentDigest();
    await signedWebhook(
      resendEvent('email.complained', { email_id: complained.emailId, to: [complained.subscriber.email] }),
    );
    expect(await subscriberRow(complained.subscriber.id)).toEqual({
      status: 'suppressed',
      suppressed_reason: 'complained',
    });

    // A subscriber who never got a digest (e.g. their confirmation email): found by address,
    // normalised the way sign-up stores it (domain lower-cased).
    const other = await seedSubscriber({ status: 'pending' });
    const shouted = other.email.replace(/@(.*)$/, (_match, domain: string) => `@${domain.toUpperCase()}`);
    await signedWebhook(resendEvent('email.suppressed', { to: [shouted] }));
    expect(await subscriberRow(other.id)).toEqual({ status: 'suppressed', suppressed_reason: 'suppressed' });
  });

  // Issue 12, letter case: "A signed complaint webhook for Mixed@Example.org leaves
  // mixed@example.org active", and a later sign-up in other letter case mailed them again.
  it('suppresses the subscriber whatever the letter case the event uses', async () => {
    const subscriber = await seedSubscriber({
      email: `mixed-${crypto.randomUUID().slice(0, 8)}@example.org`,
    });
    const shouted = subscriber.email.replace(/^mixed/, 'Mixed').replace('@example.org', '@Example.org');
    const response = await signedWebhook(resendEvent('email.complained', { to: [shouted] }));
    expect(response.status).toBe(200);
    expect(await subscriberRow(subscriber.id)).toEqual({
      status: 'suppressed',
      suppressed_reason: 'complained',
    });
    expect((await suppressionOf(subscriber.email.toUpperCase()))!.reason).toBe('complained');

    // A sign-up in yet another letter case mails nobody.
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM outbox').first<{ n: number }>();
    const signup = await request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.9' },
      body: JSON.stringify({ email: subscriber.email.toUpperCase().replace('@EXAMPLE.ORG', '@example.org') }),
    });
    expect(signup.status).toBe(202);
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM outbox').first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it('records delivered and delayed events in order, by tag or by message id', async () => {
    const { subscriber, emailId } = await sentDigest();
    const later = new Date(Date.now() + 60_000).toISOString();
    await signedWebhook({
      ...resendEvent('email.delivered', { email_id: emailId, to: [subscriber.email] }),
      created_at: later,
    });
    // An older event arriving late does not overwrite the newer one.
    await signedWebhook(resendEvent('email.delivery_delayed', { email_id: emailId, to: [subscriber.email] }));
    const delivery = await deliveryOf(subscriber.id);
    expect(delivery!.last_event).toBe('email.delivered');
    expect(delivery!.status).toBe('sent');
    expect((await subscriberRow(subscriber.id))!.status).toBe('active');
  });

  // Resend writes created_at as ISO or as "2026-11-26 10:00:00.123+00"; stored as sent, the
  // two compared as text put "2026-11-26 10:…" before "2026-11-26T09:…" (a space sorts
  // before T), so an older event overwrote a newer one, and a sent_at taken from it sorted
  // the feed and the "sent since" reads wrong.
  it('stores Resend’s event times in the form every stored time has, so they order as times', async () => {
    const { subscriber, delivery, emailId } = await sentDigest();
    await env.DB.prepare(
      `UPDATE deliveries SET status = 'failed', sent_at = NULL, last_event = NULL, last_event_at = NULL WHERE id = ?`,
    )
      .bind(delivery.id)
      .run();
    const times = () =>
      env.DB.prepare('SELECT status, sent_at, last_event, last_event_at FROM deliveries WHERE id = ?')
        .bind(delivery.id)
        .first<{ status: string; sent_at: string | null; last_event: string; last_event_at: string }>();
    const at = (type: string, createdAt: string, data: Record<string, unknown> = {}) =>
      signedWebhook({
        ...resendEvent(type, { email_id: emailId, to: [subscriber.email], ...data }),
        created_at: createdAt,
      });
    expect((await at('email.delivered', '2026-11-26 10:00:00.123+00')).status).toBe(200);
    let row = await times();
    expect(row).toMatchObject({
      status: 'sent',
      sent_at: '2026-11-26T10:00:00.123Z',
      last_event_at: '2026-11-26T10:00:00.123Z',
    });
    // Older, in ISO: it stays older.
    expect((await at('email.delivery_delayed', '2026-11-26T09:30:00.000Z')).status).toBe(200);
    expect((await times())!.last_event).toBe('email.delivered');
    // Newer, with an offset and microseconds: the time it names, in UTC.
    expect((await at('email.opened', '2026-11-26T12:15:00.894719+02:00')).status).toBe(200);
    row = await times();
    expect(row).toMatchObject({ last_event: 'email.opened', last_event_at: '2026-11-26T10:15:00.894Z' });
    // No time we can read at the top: the email's own, else the time it arrived.
    const before = nowIso();
    await at('email.clicked', 'sometime', { created_at: '2026-11-26 10:20:00' });
    expect((await times())!.last_event_at).toBe('2026-11-26T10:20:00.000Z');
    await at('email.clicked', 'sometime', { created_at: 'later' });
    expect((await times())!.last_event_at >= before).toBe(true);
    expect((await times())!.sent_at).toBe('2026-11-26T10:00:00.123Z');
  });
});

// "Delete me" removes the events naming the address, but Resend keeps reporting on mail
// sent before (a digest delivered late, a bounce, a click on an old link): those events
// must not bring the address back. An event is stored with its address only while the
// address is someone's we hold; otherwise only what dedupe and the stats need is kept.
describe('events about addresses we do not hold', () => {
  const eventsMentioning = async (address: string) => {
    const { results } = await env.DB.prepare('SELECT * FROM webhook_events').all();
    return results.filter((row) => JSON.stringify(row).toLowerCase().includes(address.toLowerCase()));
  };

  it('stores no trace of an erased address, yet still suppresses it and deduplicates', async () => {
    const { subscriber, emailId, tags } = await sentDigest();
    await eraseSubscriber({ db: env.DB, config: parseConfig(env), planQueue: env.PLAN_QUEUE }, subscriber);
    expect(await eventsMentioning(subscriber.email)).toEqual([]);

    const tagObject = Object.fromEntries(tags.map((tag) => [tag.name, tag.value]));
    const shouted = subscriber.email.toUpperCase();
    const late = [
      resendEvent('email.delivered', { email_id: emailId, to: [subscriber.email], tags: tagObject }),
      resendEvent('email.clicked', {
        email_id: emailId,
        to: [`Reader <${shouted}>`],
        click: { ipAddress: '198.51.100.7', link: 'https://example.com/p?token=abc', userAgent: 'UA' },
      }),
      resendEvent('email.bounced', {
        email_id: emailId,
        to: [subscriber.email],
        bounce: {
          message: `550 5.1.1 <${subscriber.email}>: no such user`,
          subType: 'General',
          type: 'Permanent',
        },
      }),
    ];
    for (const [index, event] of late.entries()) {
      const response = await signedWebhook(event, { id: `msg_after_erase_${index}` });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, duplicate: false });
    }
    expect(await eventsMentioning(subscriber.email)).toEqual([]);
    expect(
      JSON.stringify((await env.DB.prepare('SELECT * FROM webhook_events').all()).results),
    ).not.toContain('198.51.100.7');
    // The bounce still counts: the address stays blocked, now for bouncing, and the admin
    // stats still see a permanent bounce.
    expect((await suppressionOf(subscriber.email))!.reason).toBe('bounced');
    const bounce = await env.DB.prepare(
      `SELECT type, recipient, json_extract(payload, '$.data.bounce.type') AS bounce_type
       FROM webhook_events WHERE svix_id = 'msg_after_erase_2'`,
    ).first();
    expect(bounce).toEqual({ type: 'email.bounced', recipient: null, bounce_type: 'Permanent' });
    // A redelivery is still recognised.
    const again = await signedWebhook(late[2], { id: 'msg_after_erase_2' });
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
  });

  it('stores no trace of an erased address that an event names in `data.email` (suppression.added)', async () => {
    // A late digest bounces after the erasure: Resend adds the address to its suppression
    // list and, to a webhook listening to every event, says so in `data.email`, not `to`.
    const { subscriber, emailId } = await sentDigest();
    await eraseSubscriber({ db: env.DB, config: parseConfig(env), planQueue: env.PLAN_QUEUE }, subscriber);
    const added = suppressionAdded(subscriber.email.toUpperCase(), 'bounce', emailId);
    const response = await signedWebhook(added, { id: 'msg_suppression_added' });
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
    expect(await eventsMentioning(subscriber.email)).toEqual([]);
    const stored = await env.DB.prepare('SELECT type, recipient FROM webhook_events WHERE svix_id = ?')
      .bind('msg_suppression_added')
      .first();
    expect(stored).toEqual({ type: 'suppression.added', recipient: null });
  });

  it('files a `data.email` event under the address it names, so erasing the subscriber deletes it', async () => {
    const subscriber = await seedSubscriber({ email: 'listed@example.org' });
    const added = suppressionAdded('listed@example.org', 'manual', null);
    expect((await signedWebhook(added, { id: 'msg_listed' })).status).toBe(200);
    expect(await eventsMentioning(subscriber.email)).toHaveLength(1);
    await eraseSubscriber({ db: env.DB, config: parseConfig(env), planQueue: env.PLAN_QUEUE }, subscriber);
    expect(await eventsMentioning(subscriber.email)).toEqual([]);
  });

  it('keeps the address of an event about someone we hold', async () => {
    const subscriber = await seedSubscriber({ email: 'held@example.org' });
    await signedWebhook(resendEvent('email.delivered', { to: ['Held@example.org'] }), { id: 'msg_held' });
    const stored = await env.DB.prepare('SELECT recipient, payload FROM webhook_events WHERE svix_id = ?')
      .bind('msg_held')
      .first<{ recipient: string; payload: string }>();
    expect(stored!.recipient).toBe('Held@example.org');
    expect(stored!.payload).toContain('Held@example.org');
    expect(subscriber.email).toBe('held@example.org');
  });
});

// Issue 12, "Webhook body size": a signed 5–10 MB body got a 500 (SQLITE_TOOBIG), and an
// unsigned one was read whole and its HMAC computed before the 401.
describe('body size cap', () => {
  const events = () => env.DB.prepare('SELECT COUNT(*) AS n FROM webhook_events').first<{ n: number }>();

  it('answers 413 to a signed 5 MB event, storing nothing', async () => {
    const event = resendEvent('email.delivered', {
      to: ['big@example.org'],
      padding: 'x'.repeat(5 * 1024 * 1024),
    });
    const before = (await events())!.n;
    const response = await signedWebhook(event);
    expect(response.status).toBe(413);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('body_too_large');
    expect((await events())!.n).toBe(before);
  });

  it('answers 413, not 401, to an unsigned big body: the size is checked before any signature', async () => {
    const response = await request('/webhooks/resend', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': 'msg_big_unsigned',
        'svix-timestamp': String(Math.floor(Date.now() / 1000)),
        'svix-signature': 'v1,bm90LWEtcmVhbC1zaWduYXR1cmU=',
      },
      body: `{"type":"email.delivered","data":{"x":"${'y'.repeat(1024 * 1024)}"}}`,
    });
    expect(response.status).toBe(413);
  });

  it('stops reading a streamed body of unknown length at the cap', async () => {
    const { body, pulled } = endlessBody();
    const { response } = await fetchWith(
      new Request(`${BASE_URL}/webhooks/resend`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'svix-id': 'msg_streamed',
          'svix-timestamp': String(Math.floor(Date.now() / 1000)),
          'svix-signature': 'v1,bm90LWEtcmVhbC1zaWduYXR1cmU=',
        },
        body,
      }),
    );
    expect(response.status).toBe(413);
    // 10 MB were on offer; at most the 256 kB cap (plus the stream's read-ahead) was read.
    expect(pulled()).toBeLessThan(10);
  });

  it('still accepts a normal event just under the cap', async () => {
    const event = resendEvent('email.delivered', { to: ['ok@example.org'], padding: 'x'.repeat(200 * 1024) });
    const response = await signedWebhook(event);
    expect(response.status).toBe(200);
  });
});
