/**
 * Erasure as a domain operation: the row and everything keyed to it go, one keyed hash
 * stays, and a bounced subscriber stays blocked for that reason after being erased.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getSubscriberByEmail } from '../../src/db/subscribers';
import { eraseSubscriber } from '../../src/subscriptions/erase';
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
});
