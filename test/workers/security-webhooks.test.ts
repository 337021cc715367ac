/**
 * An attacker's and a late sender's view of POST /webhooks/resend, through the Worker's
 * real handler and D1: Svix signatures sent in every way the spec allows and a few it does
 * not (several signatures, no v1 prefix, a reused id, a timestamp out of tolerance), and
 * what is stored of an event that arrives while an erased person's history is still being
 * deleted in steps, or while the erasure itself commits between the event's read and
 * its write: nothing that names them (address, IP address, user agent).
 */
import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { ERASURE_PAGE } from '../../src/db/erasure';
import { parseConfig } from '../../src/env';
import { eraseSubscriber } from '../../src/subscriptions/erase';
import { recordingQueue, resetDelivery, seedSubscriber } from '../delivery/helpers';
import { BASE_URL, fetchWith } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { suppressionOf } from '../helpers/suppressions';
import { signedWebhook } from '../helpers/webhooks';

const signer = new Webhook(env.RESEND_WEBHOOK_SECRET);
const impostor = new Webhook(`whsec_${btoa('an-attacker-secret-of-32-bytes!!')}`);

function resendEvent(type: string, data: Record<string, unknown>) {
  const at = new Date().toISOString();
  return { type, created_at: at, data: { created_at: at, email_id: crypto.randomUUID(), ...data } };
}

async function post(body: string, headers: Record<string, string>, bindings: Env = env) {
  const webhook = new Request(`${BASE_URL}/webhooks/resend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return (await fetchWith(webhook, bindings)).response;
}

/** The Svix headers of `body` signed now with the real secret. */
function signedHeaders(id: string, body: string): Record<string, string> {
  const at = new Date();
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': signer.sign(id, at, body),
  };
}

const stored = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM webhook_events').first<{ n: number }>())!.n;

beforeEach(resetDelivery);

describe('signature bypass attempts', () => {
  const body = JSON.stringify(resendEvent('email.complained', { to: ['victim@example.org'] }));
  const now = () => new Date();
  const seconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

  it('accepts one good signature among forged ones (Svix rotates secrets), nothing else', async () => {
    await seedSubscriber({ email: 'victim@example.org' });
    const at = now();
    const good = signer.sign('msg_multi', at, body);
    const forged = impostor.sign('msg_multi', at, body);
    const response = await post(body, {
      'svix-id': 'msg_multi',
      'svix-timestamp': seconds(at),
      'svix-signature': `${forged} ${good}`,
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['forged only', (id: string, at: Date) => impostor.sign(id, at, body)],
    ['without the v1 prefix', (id: string, at: Date) => signer.sign(id, at, body).replace(/^v1,/, '')],
    ['as another scheme', (id: string, at: Date) => signer.sign(id, at, body).replace(/^v1,/, 'v1a,')],
    ['empty', () => ''],
    ['only "v1,"', () => 'v1,'],
    ['for another svix-id', (_id: string, at: Date) => signer.sign('msg_other', at, body)],
  ])('refuses a signature %s, and stores nothing', async (_name, sign) => {
    await seedSubscriber({ email: 'victim@example.org' });
    const at = now();
    const response = await post(body, {
      'svix-id': 'msg_attack',
      'svix-timestamp': seconds(at),
      'svix-signature': sign('msg_attack', at),
    });
    expect([400, 401]).toContain(response.status);
    expect(await stored()).toBe(0);
    const row = await env.DB.prepare('SELECT status FROM subscribers WHERE email = ?')
      .bind('victim@example.org')
      .first<{ status: string }>();
    expect(row!.status).toBe('active');
  });

  it('refuses a signature for another timestamp than the one sent (moving a capture into the window)', async () => {
    const signedAt = new Date(Date.now() - 10 * 60_000);
    const response = await post(body, {
      'svix-id': 'msg_shifted',
      'svix-timestamp': seconds(now()),
      'svix-signature': signer.sign('msg_shifted', signedAt, body),
    });
    expect(response.status).toBe(401);
    expect(await stored()).toBe(0);
  });

  it('applies a replay inside the tolerance only once', async () => {
    await seedSubscriber({ email: 'victim@example.org' });
    const headers = signedHeaders('msg_replayed', body);
    expect(await (await post(body, headers)).json()).toEqual({ ok: true, duplicate: false });
    expect(await (await post(body, headers)).json()).toEqual({ ok: true, duplicate: true });
    expect(await stored()).toBe(1);
  });
});

// Erasure removes the person at once but their deliveries, keyed by the random id, in
// steps of ERASURE_PAGE. Resend keeps reporting on digests already sent in that window.
describe('events arriving while an erased history is still being deleted', () => {
  async function erasedWithHistoryLeft() {
    const subscriber = await seedSubscriber({ email: 'Gone@Example.org' });
    // One page and a bit of sent digests, each of its own edition.
    const at = '2025-01-01T06:00:00.000Z';
    const rows = Array.from({ length: ERASURE_PAGE + 20 }, (_, i) => `${subscriber.id}-${i}`);
    await env.DB.batch(
      rows.flatMap((key) => [
        env.DB.prepare(
          `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
           VALUES (?1, 'daily', ?1, ?2, ?2, ?2)`,
        ).bind(`ed-${key}`, at),
        env.DB.prepare(
          `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, ranking,
                                   resend_id, send_key, queued_at, sent_at, updated_at)
           VALUES (?1, ?2, ?3, ?2, 'sent', '[]', '[]', ?4, ?1, ?5, ?5, ?5)`,
        ).bind(`d-${key}`, `ed-${key}`, subscriber.id, `re-${key}`, at),
      ]),
    );
    // The continuation is only recorded: the history stays half-deleted for the test.
    const { queue, bodies } = recordingQueue();
    await eraseSubscriber({ db: env.DB, config: parseConfig(env), planQueue: queue }, subscriber);
    expect(bodies).toHaveLength(1);
    const left = await env.DB.prepare('SELECT id, resend_id FROM deliveries WHERE subscriber_id = ? LIMIT 1')
      .bind(subscriber.id)
      .first<{ id: string; resend_id: string }>();
    expect(left).not.toBeNull(); // the erasure is still in progress
    return { subscriber, delivery: left! };
  }

  it('stores a click on a left-over delivery redacted: no address, IP address or user agent', async () => {
    const { subscriber, delivery } = await erasedWithHistoryLeft();
    const click = resendEvent('email.clicked', {
      email_id: delivery.resend_id,
      to: [`Gone <${subscriber.email}>`],
      tags: { delivery: delivery.id },
      click: { ipAddress: '203.0.113.9', link: 'https://digest.test/p', userAgent: 'SecretBrowser/1.0' },
    });
    const response = await signedWebhook(click, { id: 'msg_erased_click' });
    expect(response.status).toBe(200);
    const row = await env.DB.prepare('SELECT recipient, payload FROM webhook_events WHERE svix_id = ?')
      .bind('msg_erased_click')
      .first<{ recipient: string | null; payload: string }>();
    expect(row!.recipient).toBeNull();
    expect(row!.payload.toLowerCase()).not.toContain('gone@example.org');
    expect(row!.payload).not.toContain('203.0.113.9');
    expect(row!.payload).not.toContain('SecretBrowser');
    expect(JSON.parse(row!.payload)).toMatchObject({
      type: 'email.clicked',
      data: { email_id: delivery.resend_id },
    });
  });

  it('still blocks the address of a hard bounce on a left-over delivery, by hash only', async () => {
    const { subscriber, delivery } = await erasedWithHistoryLeft();
    const bounce = resendEvent('email.bounced', {
      email_id: delivery.resend_id,
      to: [subscriber.email],
      bounce: { message: `550 <${subscriber.email}> unknown`, subType: 'General', type: 'Permanent' },
    });
    expect((await signedWebhook(bounce, { id: 'msg_erased_bounce' })).status).toBe(200);
    const { results } = await env.DB.prepare('SELECT * FROM webhook_events').all();
    expect(JSON.stringify(results).toLowerCase()).not.toContain('gone@example.org');
    expect((await suppressionOf(subscriber.email))!.reason).toBe('bounced');
  });

  // The read that finds the person and the write that stores the event are two round trips;
  // an erasure committed between them must not leave the address behind.
  it('stores an event redacted when the erasure commits between its read and its write', async () => {
    const subscriber = await seedSubscriber({ email: 'racer@example.org' });
    let erased = false;
    const spy = spyD1(env.DB, async (sql) => {
      if (erased || !sql.includes('INSERT INTO webhook_events')) return;
      erased = true;
      const planQueue = recordingQueue().queue;
      await eraseSubscriber({ db: env.DB, config: parseConfig(env), planQueue }, subscriber);
    });
    const body = JSON.stringify(
      resendEvent('email.clicked', {
        to: [subscriber.email],
        click: { ipAddress: '203.0.113.10', link: 'https://digest.test/p', userAgent: 'RaceBrowser/1.0' },
      }),
    );
    const response = await post(body, signedHeaders('msg_race', body), { ...env, DB: spy.db });
    expect(response.status).toBe(200);
    expect(erased).toBe(true);
    const { results } = await env.DB.prepare('SELECT recipient, payload FROM webhook_events').all();
    expect(results).toHaveLength(1);
    expect(results[0]!.recipient).toBeNull();
    expect(JSON.stringify(results).toLowerCase()).not.toContain('racer@example.org');
    expect(JSON.stringify(results)).not.toContain('203.0.113.10');
  });
});
