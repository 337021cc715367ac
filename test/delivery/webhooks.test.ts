/**
 * POST /webhooks/resend with real Resend payload shapes, signed the way Svix signs them:
 * valid, invalid, stale and replayed signatures; hard bounces, complaints and Resend
 * suppressions suppress the subscriber (and add a suppression row); delivered, delayed and
 * transient bounces are recorded on the delivery found through our tags or the message id.
 */
import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { emailHash } from '../../src/db/suppressions';
import { sendMessageSchema } from '../../src/delivery/messages';
import { adminRequest, request } from '../helpers/app';
import {
  deliver,
  deliveryOf,
  fakeResend,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const signer = new Webhook(env.RESEND_WEBHOOK_SECRET);
let sequence = 0;

function signedRequest(payload: unknown, options: { id?: string; at?: Date; secret?: string } = {}) {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${Date.now()}_${sequence++}`;
  const at = options.at ?? new Date();
  const signature = (options.secret ? new Webhook(options.secret) : signer).sign(id, at, body);
  return request('/webhooks/resend', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': signature,
    },
    body,
  });
}

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
  return { subscriber, delivery: delivery!, tags: email.tags!, emailId: delivery!.resend_id! };
}

async function subscriberRow(id: string) {
  return env.DB.prepare('SELECT status, suppressed_reason FROM subscribers WHERE id = ?')
    .bind(id)
    .first<{ status: string; suppressed_reason: string | null }>();
}

beforeEach(resetDelivery);

describe('signature checks', () => {
  it('accepts a correctly signed event and stores it', async () => {
    const response = await signedRequest(resendEvent('email.sent', { to: ['someone@example.org'] }), {
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
    const response = await signedRequest(resendEvent('email.complained', { to: ['x@example.org'] }), {
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
    const stale = await signedRequest(resendEvent('email.delivered', { to: ['x@example.org'] }), {
      at: new Date(Date.now() - 10 * 60_000),
    });
    expect(stale.status).toBe(401);
    expect((await stale.json<{ error: { message: string } }>()).error.message).toMatch(/too old/);
    const future = await signedRequest(resendEvent('email.delivered', { to: ['x@example.org'] }), {
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

  it('stores a redelivered event once and does not apply it twice', async () => {
    const { subscriber } = await sentDigest();
    const event = resendEvent('email.complained', { to: [subscriber.email] });
    const first = await signedRequest(event, { id: 'msg_replayed' });
    expect(await first.json()).toEqual({ ok: true, duplicate: false });
    const second = await signedRequest(event, { id: 'msg_replayed' });
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
    const response = await signedRequest(
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
    const suppression = await env.DB.prepare('SELECT reason FROM suppressions WHERE email_hash = ?')
      .bind(await emailHash(subscriber.email))
      .first<{ reason: string }>();
    expect(suppression!.reason).toBe('bounced');
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
    await signedRequest(
      resendEvent('email.bounced', {
        email_id: emailId,
        to: [subscriber.email],
        bounce: { message: 'Mailbox full', subType: 'MailboxFull', type: 'Transient' },
      }),
    );
    expect((await subscriberRow(subscriber.id))!.status).toBe('active');
    expect((await deliveryOf(subscriber.id))!.last_event).toBe('email.bounced');
  });

  it('suppresses on a complaint and on email.suppressed', async () => {
    const complained = await sentDigest();
    await signedRequest(
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
    await signedRequest(resendEvent('email.suppressed', { to: [shouted] }));
    expect(await subscriberRow(other.id)).toEqual({ status: 'suppressed', suppressed_reason: 'suppressed' });
  });

  it('records delivered and delayed events in order, by tag or by message id', async () => {
    const { subscriber, emailId } = await sentDigest();
    const later = new Date(Date.now() + 60_000).toISOString();
    await signedRequest({
      ...resendEvent('email.delivered', { email_id: emailId, to: [subscriber.email] }),
      created_at: later,
    });
    // An older event arriving late does not overwrite the newer one.
    await signedRequest(resendEvent('email.delivery_delayed', { email_id: emailId, to: [subscriber.email] }));
    const delivery = await deliveryOf(subscriber.id);
    expect(delivery!.last_event).toBe('email.delivered');
    expect(delivery!.status).toBe('sent');
    expect((await subscriberRow(subscriber.id))!.status).toBe('active');
  });
});
