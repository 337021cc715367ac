/**
 * Suppression rows as the Worker writes them (keyed hash of the address, with the test
 * run's EMAIL_HASH_SECRET) and as versions before migration 0007 wrote them (unkeyed
 * SHA-256 of the address as typed), for tests that start from either state.
 */
import { env } from 'cloudflare:test';
import { getSuppression, type SuppressionReason, suppressionStatement } from '../../src/db/suppressions';
import { sha256Hex } from '../../src/lib/crypto';
import { addressHash, addressLookupHashes } from '../../src/subscriptions/identity';
import { normalizeEmail } from '../../src/subscriptions/schema';

export async function suppress(email: string, reason: SuppressionReason): Promise<void> {
  await suppressionStatement(env.DB, await addressHash(env.EMAIL_HASH_SECRET, email), reason).run();
}

/** A row exactly as the old code stored it: SHA-256 of the normalised address, not keyed. */
export async function suppressLegacy(email: string, reason: SuppressionReason): Promise<string> {
  const hash = await sha256Hex(normalizeEmail(email) ?? email.trim());
  await env.DB.prepare('INSERT INTO suppressions (email_hash, reason, created_at) VALUES (?, ?, ?)')
    .bind(hash, reason, new Date().toISOString())
    .run();
  return hash;
}

export async function suppressionOf(email: string) {
  return getSuppression(env.DB, await addressLookupHashes(env.EMAIL_HASH_SECRET, email));
}
