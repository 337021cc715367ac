/**
 * SQL for the operators' subscriber import. A 10,000-row import must stay far below D1's
 * per-invocation query limit and its 100-bound-parameter cap, so rows travel as one JSON
 * array parameter per statement and SQLite's json_each() unpacks them: the existence check
 * is a handful of statements, and the insert is one statement per `ROWS_PER_STATEMENT`
 * rows, all in a single `db.batch()` (one round trip, one transaction: all or nothing).
 */

import { nowIso } from '../lib/time';
import { chunk } from './chunk';

/** Rows per INSERT: a JSON parameter of ~500 rows stays well under D1's size limits. */
export const ROWS_PER_STATEMENT = 500;
/** Emails per existence check (one JSON parameter each). */
const EMAILS_PER_LOOKUP = 1_000;

/**
 * Existing subscribers whose address matches one of `emails` ignoring case (local parts
 * are stored as typed, but no real mailbox differs only by case), keyed by the lower-cased
 * address.
 */
export async function findExistingSubscriberStatuses(
  db: D1Database,
  emails: string[],
): Promise<Map<string, { email: string; status: string }>> {
  const unique = [...new Set(emails.map((email) => email.toLowerCase()))];
  if (unique.length === 0) return new Map();
  const results = await db.batch<{ email: string; status: string }>(
    chunk(unique, EMAILS_PER_LOOKUP).map((part) =>
      db
        .prepare(
          'SELECT email, status FROM subscribers WHERE lower(email) IN (SELECT value FROM json_each(?))',
        )
        .bind(JSON.stringify(part)),
    ),
  );
  return new Map(
    results.flatMap((result) => result.results).map((row) => [row.email.toLowerCase(), row] as const),
  );
}

export interface ImportedSubscriberRow {
  id: string;
  email: string;
  interests: string;
  /** The arXiv categories in interests (categoriesOf), stored as a JSON array beside them. */
  categories: string[];
  frequency: 'daily' | 'weekly';
  send_hour: number;
  time_zone: string;
  send_weekday: number;
  /** Null: the column's default (the row did not say). */
  digest_size: number | null;
  trending_mix: number | null;
  always_send: 0 | 1 | null;
  /** When the planner should first look at them (see migrations/0010). */
  next_send_at: string;
}

/**
 * Inserts the rows as active subscribers who consented elsewhere (consent method
 * "import", consent and confirmation time = now). A row whose email appeared in the
 * meantime (a concurrent sign-up, in any letter case: the UNIQUE index is on lower(email))
 * is left alone, not overwritten; the returned set holds the emails actually inserted.
 */
export async function insertImportedSubscribers(
  db: D1Database,
  rows: ImportedSubscriberRow[],
  now: Date = new Date(),
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const at = nowIso(now);
  const statement = db.prepare(
    `INSERT INTO subscribers
       (id, email, status, interests, categories, frequency, send_hour, time_zone, send_weekday,
        digest_size, trending_mix, always_send,
        created_at, updated_at, confirmed_at, consent_at, consent_method, next_send_at)
     SELECT json_extract(value, '$.id'), json_extract(value, '$.email'), 'active',
            json_extract(value, '$.interests'), json_extract(value, '$.categories'),
            json_extract(value, '$.frequency'),
            json_extract(value, '$.send_hour'), json_extract(value, '$.time_zone'),
            json_extract(value, '$.send_weekday'),
            -- A setting the row did not give takes the column default (migrations/0001).
            COALESCE(json_extract(value, '$.digest_size'), 10),
            COALESCE(json_extract(value, '$.trending_mix'), 0.3),
            COALESCE(json_extract(value, '$.always_send'), 0),
            ?1, ?1, ?1, ?1, 'import', json_extract(value, '$.next_send_at')
     FROM json_each(?2)
     WHERE true
     ON CONFLICT DO NOTHING
     RETURNING email`,
  );
  const results = await db.batch<{ email: string }>(
    chunk(rows, ROWS_PER_STATEMENT).map((part) => statement.bind(at, JSON.stringify(part))),
  );
  return new Set(results.flatMap((result) => result.results.map((row) => row.email)));
}
