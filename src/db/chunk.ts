/**
 * Bounded statements: D1 allows at most 100 bound parameters per statement, so every
 * multi-row read or write splits its values with `chunk` before building statements for one
 * `db.batch()`; and the housekeeping deletes expired rows a bounded page at a time.
 */
export const D1_MAX_PARAMS = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * What makes a row of a short-lived table expired (each has an index on `created_at`):
 * a held sign-up also goes with its pending subscriber. An ingest run goes once a newer
 * run of its source exists (one seek of ingest_runs_source), so each source's newest run
 * stays however old; the table is scanned, but it holds only the runs of the window kept.
 */
const EXPIRED = {
  form_submissions: 'created_at < ?1',
  mail_requests: 'created_at < ?1',
  held_signups:
    'created_at < ?1 OR NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = held_signups.subscriber_id)',
  ingest_runs: `started_at < ?1 AND EXISTS (
    SELECT 1 FROM ingest_runs n WHERE n.source = ingest_runs.source AND n.started_at > ingest_runs.started_at)`,
} as const;

/**
 * Deletes at most `limit` expired rows of `table` (stored before `cutoff`) and returns how
 * many: the housekeeping repeats it, so no statement grows with a flood of rows.
 */
export async function deleteExpiredRows(
  db: D1Database,
  table: keyof typeof EXPIRED,
  cutoff: string,
  limit: number,
): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${EXPIRED[table]} LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return result.meta.changes ?? 0;
}

export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(',');
