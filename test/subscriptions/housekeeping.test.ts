/**
 * The daily housekeeping cron: unconfirmed sign-ups older than the confirmation link's
 * lifetime are deleted; recent ones and every other status are kept.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { runScheduled } from '../helpers/app';

async function insert(id: string, status: string, updatedAt: string) {
  await env.DB.prepare(
    `INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
  )
    .bind(id, `${id}@example.com`, status, updatedAt, updatedAt)
    .run();
}

describe('purgeExpiredPending', () => {
  it('deletes pending sign-ups older than 7 days through the cron, and nothing else', async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
    await insert('old-pending', 'pending', days(8));
    await insert('edge-pending', 'pending', days(6.9));
    await insert('old-active', 'active', days(30));
    await insert('old-unsubscribed', 'unsubscribed', days(30));

    await runScheduled(CRONS.housekeeping, now.getTime());

    const { results } = await env.DB.prepare('SELECT id FROM subscribers ORDER BY id').all<{ id: string }>();
    expect(results.map((row) => row.id)).toEqual(['edge-pending', 'old-active', 'old-unsubscribed']);
  });
});
