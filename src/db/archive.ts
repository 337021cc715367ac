/**
 * SQL for the public archive (/papers): the papers of one day, trending first, and the
 * neighbouring days that have papers, for navigation. A paper's day is the Hugging Face
 * daily list it appeared on, or else its arXiv publication date (UTC), which is how
 * people think of "the papers of Tuesday". Papers arXiv reports withdrawn are not listed
 * (they are kept for the digests that sent them). Each query is shaped so SQLite serves it
 * from papers_day (migrations/0014): a day is an index range on (hf_date, published_at), the
 * neighbouring and newest days one index entry each, whatever the number of papers stored.
 */
import type { Paper } from '../domain';
import { addDays } from '../lib/time';
import { type PaperRow, rowToPaper } from './papers';

export interface ArchiveDay {
  date: string;
  papers: Paper[];
  total: number;
  previous: string | null;
  next: string | null;
}

/** Days are YYYY-MM-DD; published_at is an ISO timestamp, so a day is a half-open range. */
const DAY_FILTER = `(hf_date = ?1 OR (hf_date IS NULL AND published_at >= ?1 AND published_at < ?2)) AND withdrawn = 0`;

export async function getArchiveDay(
  db: D1Database,
  date: string,
  { limit = 50, offset = 0 } = {},
): Promise<ArchiveDay> {
  const nextDay = addDays(date, 1);
  const [papers, total, previous, next] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT * FROM papers WHERE ${DAY_FILTER}
         ORDER BY upvotes DESC, num_comments DESC, published_at DESC, id
         LIMIT ?3 OFFSET ?4`,
      )
      .bind(date, nextDay, limit, offset),
    db.prepare(`SELECT COUNT(*) AS count FROM papers WHERE ${DAY_FILTER}`).bind(date, nextDay),
    db
      .prepare(
        `SELECT MAX(day) AS day FROM (
           SELECT MAX(hf_date) AS day FROM papers WHERE hf_date < ?1 AND withdrawn = 0
           UNION ALL
           SELECT substr(MAX(published_at), 1, 10) FROM papers WHERE hf_date IS NULL AND published_at < ?1 AND withdrawn = 0
         )`,
      )
      .bind(date),
    db
      .prepare(
        `SELECT MIN(day) AS day FROM (
           SELECT MIN(hf_date) AS day FROM papers WHERE hf_date >= ?1 AND withdrawn = 0
           UNION ALL
           SELECT substr(MIN(published_at), 1, 10) FROM papers WHERE hf_date IS NULL AND published_at >= ?1 AND withdrawn = 0
         )`,
      )
      .bind(nextDay),
  ]);
  return {
    date,
    papers: (papers!.results as unknown as PaperRow[]).map(rowToPaper),
    total: Number(total!.results[0]?.count ?? 0),
    previous: (previous!.results[0]?.day as string | null | undefined) ?? null,
    next: (next!.results[0]?.day as string | null | undefined) ?? null,
  };
}

/** The most recent day that has papers, or null when nothing has been ingested yet. */
export async function latestArchiveDate(db: D1Database): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT MAX(day) AS day FROM (
         SELECT MAX(hf_date) AS day FROM papers WHERE withdrawn = 0
         UNION ALL
         SELECT substr(MAX(published_at), 1, 10) FROM papers WHERE hf_date IS NULL AND withdrawn = 0
       )`,
    )
    .first<{ day: string | null }>();
  return row?.day ?? null;
}
