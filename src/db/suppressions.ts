/**
 * SQL for the suppressions table: addresses that must never be imported or mailed again
 * (erased by their owner, hard-bounced, complained, suppressed by an operator). Rows hold
 * only SHA-256 of the normalised email, so "delete me" leaves no address behind while the
 * importer, the sign-up flow and the sender can still recognise it. Every function here
 * normalises before hashing, so callers may pass an address as a webhook or CSV spells it.
 */
import { sha256Hex } from '../lib/crypto';
import { nowIso } from '../lib/time';
import { normalizeEmail } from '../subscriptions/schema';
import { chunk, D1_MAX_PARAMS, placeholders } from './chunk';

export type SuppressionReason = 'erased' | 'bounced' | 'complained' | 'suppressed';

/** The key of the suppressions table: SHA-256 hex of the normalised address. */
export function emailHash(email: string): Promise<string> {
  return sha256Hex(normalizeEmail(email) ?? email.trim());
}

export async function isSuppressed(db: D1Database, email: string): Promise<boolean> {
  return (await getSuppression(db, email)) !== null;
}

export async function getSuppression(
  db: D1Database,
  email: string,
): Promise<{ reason: SuppressionReason; created_at: string } | null> {
  return db
    .prepare('SELECT reason, created_at FROM suppressions WHERE email_hash = ?')
    .bind(await emailHash(email))
    .first<{ reason: SuppressionReason; created_at: string }>();
}

/**
 * The insert as a statement, for callers that must write it in the same batch as other
 * changes (erasure). The first reason recorded wins; repeating it is a no-op, except that
 * a delivery problem (bounce, complaint) replaces a mere "erased".
 */
export function suppressionStatement(
  db: D1Database,
  hash: string,
  reason: SuppressionReason,
  now: Date = new Date(),
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO suppressions (email_hash, reason, created_at) VALUES (?, ?, ?)
       ON CONFLICT (email_hash) DO UPDATE SET reason = excluded.reason
       WHERE suppressions.reason = 'erased' AND excluded.reason IN ('bounced', 'complained', 'suppressed')`,
    )
    .bind(hash, reason, nowIso(now));
}

export async function addSuppression(
  db: D1Database,
  email: string,
  reason: SuppressionReason,
  now: Date = new Date(),
): Promise<void> {
  await suppressionStatement(db, await emailHash(email), reason, now).run();
}

/** Lifts a suppression of the given reasons (e.g. an erased person signs up again and confirms). */
export async function removeSuppression(
  db: D1Database,
  email: string,
  reasons: SuppressionReason[],
): Promise<void> {
  if (reasons.length === 0) return;
  await db
    .prepare(`DELETE FROM suppressions WHERE email_hash = ? AND reason IN (${placeholders(reasons.length)})`)
    .bind(await emailHash(email), ...reasons)
    .run();
}

/** Which of these hashes are suppressed, in one batched round trip (≤100 parameters per statement). */
export async function listSuppressedHashes(db: D1Database, hashes: string[]): Promise<Set<string>> {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return new Set();
  const results = await db.batch<{ email_hash: string }>(
    chunk(unique, D1_MAX_PARAMS).map((part) =>
      db
        .prepare(`SELECT email_hash FROM suppressions WHERE email_hash IN (${placeholders(part.length)})`)
        .bind(...part),
    ),
  );
  return new Set(results.flatMap((result) => result.results.map((row) => row.email_hash)));
}
