/**
 * Erasure as a domain operation: the row and everything keyed to it go, one keyed hash
 * stays, and a bounced subscriber stays blocked for that reason after being erased.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getSubscriberByEmail } from '../../src/db/subscribers';
import { eraseSubscriber } from '../../src/subscriptions/erase';
import { spyD1 } from '../helpers/d1-spy';
import { suppressionOf } from '../helpers/suppressions';

const app = { db: env.DB, config: { EMAIL_HASH_SECRET: env.EMAIL_HASH_SECRET } } as Parameters<
  typeof eraseSubscriber
>[0];

async function insert(email: string, status: string, suppressedReason: string | null = null) {
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO subscribers (id, email, status, suppressed_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
  )
    .bind(crypto.randomUUID(), email, status, suppressedReason, now, now)
    .run();
  return (await getSubscriberByEmail(env.DB, email))!;
}

describe('eraseSubscriber', () => {
  it('deletes the row and records an "erased" hash that matches any letter case', async () => {
    const subscriber = await insert('Erase-Me@example.com', 'active');
    expect(await eraseSubscriber(app, subscriber)).toBe(true);
    expect(await getSubscriberByEmail(env.DB, 'erase-me@example.com')).toBeNull();
    expect((await suppressionOf('erase-me@example.com'))!.reason).toBe('erased');
    // Erasing twice is harmless.
    expect(await eraseSubscriber(app, subscriber)).toBe(false);
  });

  it('keeps a bounced subscriber blocked as bounced', async () => {
    const subscriber = await insert('bounced-erase@example.com', 'suppressed', 'bounced');
    await eraseSubscriber(app, subscriber);
    expect((await suppressionOf('bounced-erase@example.com'))!.reason).toBe('bounced');
  });

  // Webhook events pile up by the tens of millions (several per email sent); "delete me"
  // must find the few naming this address without reading every one of them.
  it("removes the webhook events naming the address, in any letter case, without reading everyone else's", async () => {
    const subscriber = await insert('Events-Erase@example.com', 'active');
    const event = env.DB.prepare(
      `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
       VALUES (?, 'email.delivered', ?, ?, '{}', '2026-03-01T00:00:00.000Z')`,
    );
    await env.DB.batch([
      ...Array.from({ length: 500 }, (_, index) =>
        event.bind(`msg_other_${index}`, `re_other_${index}`, `someone-${index}@example.com`),
      ),
      event.bind('msg_mine_1', 're_mine_1', 'Events-Erase@example.com'),
      event.bind('msg_mine_2', 're_mine_2', 'events-erase@EXAMPLE.com'),
    ]);
    const spy = spyD1(env.DB);
    expect(await eraseSubscriber({ ...app, db: spy.db }, subscriber)).toBe(true);
    const left = await env.DB.prepare(
      `SELECT COUNT(*) AS mine, (SELECT COUNT(*) FROM webhook_events WHERE svix_id LIKE 'msg_other_%') AS others
       FROM webhook_events WHERE svix_id LIKE 'msg_mine_%'`,
    ).first<{ mine: number; others: number }>();
    expect(left).toEqual({ mine: 0, others: 500 });
    expect(spy.totals().rowsRead).toBeLessThan(50);
  });
});
