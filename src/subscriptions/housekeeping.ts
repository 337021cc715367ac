/**
 * Subscription housekeeping, run by the daily cron. Sign-ups never confirmed within the
 * confirmation link's lifetime are deleted, so unconfirmed addresses (which may have been
 * typed by someone else) are not kept; so are mail requests, and sign-ups held for the
 * confirm page, older than any link that could use them, form submissions older than
 * the day the per-IP cap counts, and ingest runs older than INGEST_RUN_DAYS (but each
 * source's newest), each in statements of bounded size. Suppression rows still holding an
 * unkeyed SHA-256 (written before migration 0007) are re-keyed with EMAIL_HASH_SECRET, a
 * bounded batch per run; active subscribers stored before migration 0017 get the categories of their
 * interests stored beside them, a bounded batch per run too, so the arXiv ingest stops
 * parsing their texts. And it starts the day's retention pass (src/delivery/retention.ts),
 * which continues on the plan queue.
 */
import { deleteExpiredFormSubmissions } from '../db/form-submissions';
import { deleteExpiredIngestRuns } from '../db/ingest-runs';
import { deleteHeldSignupsBefore, deleteMailRequestsBefore } from '../db/mail-requests';
import { deletePendingBefore, fillCategories, listUncategorised } from '../db/subscribers';
import { listLegacySuppressions, rekeySuppressions } from '../db/suppressions';
import { type RetentionStep, startRetention } from '../delivery/retention';
import type { AppContext } from '../env';
import { CONFIRM_TTL_DAYS } from '../links';
import { keyLegacyHash } from './identity';
import { categoriesOf } from './interests';

/**
 * Expired rows each delete takes at most, and the most deletes one table gets per run: a
 * flood day (form submissions from a botnet, say) is deleted in statements of bounded
 * size, at most 100,000 rows a table a run, and what is left goes the next day. One
 * unbounded DELETE could outlast D1's statement limit and fail the whole cron, retention
 * included, every day while the backlog stood.
 */
export const EXPIRY_PAGE = 5_000;
export const EXPIRY_PAGES = 20;

/** How long ingest runs are kept; a source's newest run stays whatever its age. */
export const INGEST_RUN_DAYS = 30;

/** Runs `page` until it deletes less than a page, or EXPIRY_PAGES times; the rows deleted. */
async function drain(page: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let run = 0; run < EXPIRY_PAGES; run++) {
    const deleted = await page(EXPIRY_PAGE);
    total += deleted;
    if (deleted < EXPIRY_PAGE) break;
  }
  return total;
}

/** Legacy suppression rows re-keyed per run: a few D1 statements and a few ms of HMAC. */
export const REKEY_BATCH = 5_000;

/** Subscribers given their stored categories per run: one read and five writes of D1 a run. */
export const CATEGORIES_BATCH = 5_000;

/** Stores the categories of up to `limit` active subscribers stored before migration 0017. */
export async function fillLegacyCategories(
  db: D1Database,
  limit: number = CATEGORIES_BATCH,
): Promise<number> {
  const rows = await listUncategorised(db, limit);
  await fillCategories(
    db,
    rows.map((row) => ({ id: row.id, categories: categoriesOf(row.interests) })),
  );
  return rows.length;
}

export async function purgeExpiredPending(db: D1Database, now: Date): Promise<{ purged: number }> {
  const cutoff = new Date(now.getTime() - CONFIRM_TTL_DAYS * 86_400_000).toISOString();
  return { purged: await drain((limit) => deletePendingBefore(db, cutoff, limit)) };
}

/** Replaces up to `limit` legacy (unkeyed) suppression hashes by keyed ones. */
export async function rekeyLegacySuppressions(
  app: Pick<AppContext, 'db' | 'config'>,
  limit: number = REKEY_BATCH,
): Promise<number> {
  const legacy = await listLegacySuppressions(app.db, limit);
  const rows = await Promise.all(
    legacy.map(async (row) => ({
      legacy: row.email_hash,
      keyed: await keyLegacyHash(app.config.EMAIL_HASH_SECRET, row.email_hash),
      reason: row.reason,
      created_at: row.created_at,
    })),
  );
  await rekeySuppressions(app.db, rows);
  return rows.length;
}

export async function runHousekeeping(
  app: AppContext,
  now: Date,
): Promise<{
  purged: number;
  mailRequestsDeleted: number;
  heldSignupsDeleted: number;
  formSubmissionsDeleted: number;
  ingestRunsDeleted: number;
  suppressionsRekeyed: number;
  categoriesFilled: number;
  retention: RetentionStep;
}> {
  const cutoff = new Date(now.getTime() - CONFIRM_TTL_DAYS * 86_400_000).toISOString();
  const { purged } = await purgeExpiredPending(app.db, now);
  const mailRequestsDeleted = await drain((limit) => deleteMailRequestsBefore(app.db, cutoff, limit));
  const heldSignupsDeleted = await drain((limit) => deleteHeldSignupsBefore(app.db, cutoff, limit));
  const formSubmissionsDeleted = await drain((limit) => deleteExpiredFormSubmissions(app.db, now, limit));
  const runsCutoff = new Date(now.getTime() - INGEST_RUN_DAYS * 86_400_000).toISOString();
  const ingestRunsDeleted = await drain((limit) => deleteExpiredIngestRuns(app.db, runsCutoff, limit));
  const suppressionsRekeyed = await rekeyLegacySuppressions(app);
  const categoriesFilled = await fillLegacyCategories(app.db);
  const retention = await startRetention(app, now);
  return {
    purged,
    mailRequestsDeleted,
    heldSignupsDeleted,
    formSubmissionsDeleted,
    ingestRunsDeleted,
    suppressionsRekeyed,
    categoriesFilled,
    retention,
  };
}
