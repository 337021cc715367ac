/**
 * Subscription housekeeping, run by the daily cron: sign-ups never confirmed within the
 * confirmation link's lifetime are deleted, so unconfirmed addresses (which may have been
 * typed by someone else) are not kept. The cutoff matches CONFIRM_TTL_DAYS: a pending row
 * is only purged once every confirmation link sent for it has expired.
 */
import { deletePendingBefore } from '../db/subscribers';
import { CONFIRM_TTL_DAYS } from '../links';

export async function purgeExpiredPending(db: D1Database, now: Date): Promise<{ purged: number }> {
  const cutoff = new Date(now.getTime() - CONFIRM_TTL_DAYS * 86_400_000).toISOString();
  return { purged: await deletePendingBefore(db, cutoff) };
}
