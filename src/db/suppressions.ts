/**
 * SQL for the suppressions table: addresses that must never be imported or mailed again
 * (erased by their owner, hard-bounced, complained, suppressed by Resend). Rows hold only
 * a keyed hash of the address (see src/subscriptions/identity.ts), so "delete me" leaves no
 * address behind while the importer and the sign-up flow still recognise it. Callers pass
 * hashes: this module never sees an address, and knows nothing of how addresses compare.
 * Rows written before the hashes were keyed have `keyed = 0` until re-keyed.
 */
import { nowIso } from '../lib/time';
import { chunk, placeholders } from './chunk';

export type SuppressionReason = 'erased' | 'bounced' | 'complained' | 'suppressed';

export interface Suppression {
  reason: SuppressionReason;
  created_at: string;
}

/** Hashes per lookup statement: one JSON parameter each, far below D1's size limits. */
const HASHES_PER_STATEMENT = 1_000;

/**
 * The suppression recorded under any of one address's hashes (addressLookupHashes); a
 * delivery problem outranks a mere erasure when both exist.
 */
export async function getSuppression(db: D1Database, hashes: string[]): Promise<Suppression | null> {
  if (hashes.length === 0) return null;
  return db
    .prepare(
      `SELECT reason, created_at FROM suppressions WHERE email_hash IN (${placeholders(hashes.length)})
       ORDER BY reason = 'erased', created_at LIMIT 1`,
    )
    .bind(...hashes)
    .first<Suppression>();
}

/**
 * The insert as a statement, for callers that must write it in the same batch as other
 * changes (erasure, webhooks). The first reason recorded wins; repeating it is a no-op,
 * except that a delivery problem (bounce, complaint) replaces a mere "erased".
 */
export function suppressionStatement(
  db: D1Database,
  hash: string,
  reason: SuppressionReason,
  now: Date = new Date(),
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO suppressions (email_hash, reason, created_at, keyed) VALUES (?, ?, ?, 1)
       ON CONFLICT (email_hash) DO UPDATE SET reason = excluded.reason
       WHERE suppressions.reason = 'erased' AND excluded.reason IN ('bounced', 'complained', 'suppressed')`,
    )
    .bind(hash, reason, nowIso(now));
}

/** Every suppression recorded under one address's hashes (addressLookupHashes), oldest first. */
export async function listSuppressions(db: D1Database, hashes: string[]): Promise<Suppression[]> {
  if (hashes.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT reason, created_at FROM suppressions WHERE email_hash IN (${placeholders(hashes.length)})
       ORDER BY created_at`,
    )
    .bind(...hashes)
    .all<Suppression>();
  return results;
}

/** Lifts a suppression of the given reasons (e.g. an erased person signs up again and confirms). */
export async function removeSuppression(
  db: D1Database,
  hashes: string[],
  reasons: SuppressionReason[],
): Promise<void> {
  if (reasons.length === 0 || hashes.length === 0) return;
  await removeSuppressionStatement(db, hashes, reasons).run();
}

/** The delete of `removeSuppression` as a statement, for a batch; needs a hash and a reason at least. */
export function removeSuppressionStatement(
  db: D1Database,
  hashes: string[],
  reasons: SuppressionReason[],
): D1PreparedStatement {
  return ofHashesAndReasons(db, 'DELETE FROM suppressions', hashes, reasons);
}

/**
 * Turns suppressions of the given reasons into "erased": what lifting a bounce leaves for an
 * address whose subscriber was erased, so an import still skips someone who asked to be
 * forgotten while their own sign-up is let through. Needs a hash and a reason at least.
 */
export function keepAsErasedStatement(
  db: D1Database,
  hashes: string[],
  reasons: SuppressionReason[],
): D1PreparedStatement {
  return ofHashesAndReasons(db, "UPDATE suppressions SET reason = 'erased'", hashes, reasons);
}

/** `change` (a DELETE or an UPDATE of suppressions) for the rows of these hashes with these reasons. */
function ofHashesAndReasons(
  db: D1Database,
  change: string,
  hashes: string[],
  reasons: SuppressionReason[],
): D1PreparedStatement {
  return db
    .prepare(
      `${change} WHERE email_hash IN (${placeholders(hashes.length)}) AND reason IN (${placeholders(reasons.length)})`,
    )
    .bind(...hashes, ...reasons);
}

/** Which of these hashes are suppressed, in one batched round trip whatever their number. */
export async function listSuppressedHashes(db: D1Database, hashes: string[]): Promise<Set<string>> {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return new Set();
  const results = await db.batch<{ email_hash: string }>(
    chunk(unique, HASHES_PER_STATEMENT).map((part) =>
      db
        .prepare('SELECT email_hash FROM suppressions WHERE email_hash IN (SELECT value FROM json_each(?))')
        .bind(JSON.stringify(part)),
    ),
  );
  return new Set(results.flatMap((result) => result.results.map((row) => row.email_hash)));
}

/** Rows still holding an unkeyed SHA-256, oldest first. */
export async function listLegacySuppressions(
  db: D1Database,
  limit: number,
): Promise<(Suppression & { email_hash: string })[]> {
  const { results } = await db
    .prepare(
      'SELECT email_hash, reason, created_at FROM suppressions WHERE keyed = 0 ORDER BY created_at LIMIT ?',
    )
    .bind(limit)
    .all<Suppression & { email_hash: string }>();
  return results;
}

/**
 * Replaces legacy rows by their keyed hashes, all in one transaction: each keyed row is
 * written (a stricter reason already recorded under it is kept), then the legacy row goes.
 */
export async function rekeySuppressions(
  db: D1Database,
  rows: { legacy: string; keyed: string; reason: SuppressionReason; created_at: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.batch(
    chunk(rows, HASHES_PER_STATEMENT / 2).flatMap((part) => {
      const json = JSON.stringify(part);
      return [
        db
          .prepare(
            `INSERT INTO suppressions (email_hash, reason, created_at, keyed)
             SELECT json_extract(value, '$.keyed'), json_extract(value, '$.reason'), json_extract(value, '$.created_at'), 1
             FROM json_each(?) WHERE true
             ON CONFLICT (email_hash) DO UPDATE SET reason = excluded.reason
             WHERE suppressions.reason = 'erased' AND excluded.reason IN ('bounced', 'complained', 'suppressed')`,
          )
          .bind(json),
        db
          .prepare(
            `DELETE FROM suppressions WHERE keyed = 0
             AND email_hash IN (SELECT json_extract(value, '$.legacy') FROM json_each(?))`,
          )
          .bind(json),
      ];
    }),
  );
}
