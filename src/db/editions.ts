/**
 * SQL for editions: one row per planner run and frequency, freezing the candidate papers
 * (ingested inside the edition's window) that every subscriber of that run is ranked
 * against. Consumers load the edition, never re-query the window, so a message retried an
 * hour later still ranks against exactly what the planner saw.
 */
import type { Frequency, Paper } from '../domain';
import { type PaperRow, rowToPaper } from './papers';

export interface Edition {
  id: string;
  frequency: Frequency;
  /** UTC date (daily) or ISO week (weekly) of the planner run. */
  periodKey: string;
  plannedAt: string;
  windowStart: string;
  windowEnd: string;
  paperIds: string[];
}

export interface EditionRow {
  id: string;
  frequency: Frequency;
  period_key: string;
  planned_at: string;
  window_start: string;
  window_end: string;
  paper_ids: string;
}

const fromRow = (row: EditionRow): Edition => ({
  id: row.id,
  frequency: row.frequency,
  periodKey: row.period_key,
  plannedAt: row.planned_at,
  windowStart: row.window_start,
  windowEnd: row.window_end,
  paperIds: JSON.parse(row.paper_ids) as string[],
});

export async function getEdition(db: D1Database, id: string): Promise<Edition | null> {
  const row = await db.prepare('SELECT * FROM editions WHERE id = ?').bind(id).first<EditionRow>();
  return row ? fromRow(row) : null;
}

/**
 * Freezes a new edition with its candidate set (the papers first stored inside its window
 * that arXiv has not reported withdrawn, most upvoted first) in one statement: the ids
 * never travel through the Worker. At most `maxCandidates` are kept: the most upvoted,
 * then the most recently stored (the window's oldest papers are the ones left out), listed
 * in the same order as an uncapped edition. Returns the number of candidates.
 */
export async function insertEditionWithCandidates(
  db: D1Database,
  edition: Omit<Edition, 'paperIds'>,
  maxCandidates: number,
): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, (
         SELECT COALESCE(json_group_array(id), '[]') FROM (
           SELECT id, upvotes FROM (
             SELECT id, upvotes FROM papers WHERE ingested_at >= ?5 AND ingested_at < ?6 AND withdrawn = 0
             ORDER BY upvotes DESC, ingested_at DESC, id DESC LIMIT ?7)
           ORDER BY upvotes DESC, id))
       RETURNING json_array_length(paper_ids) AS candidates`,
    )
    .bind(
      edition.id,
      edition.frequency,
      edition.periodKey,
      edition.plannedAt,
      edition.windowStart,
      edition.windowEnd,
      maxCandidates,
    )
    .first<{ candidates: number }>();
  return row?.candidates ?? 0;
}

/** Papers in a window that an edition could have held: counted only when one was capped. */
export async function countWindowPapers(
  db: D1Database,
  windowStart: string,
  windowEnd: string,
): Promise<number> {
  const row = await db
    .prepare(
      'SELECT COUNT(*) AS n FROM papers WHERE ingested_at >= ?1 AND ingested_at < ?2 AND withdrawn = 0',
    )
    .bind(windowStart, windowEnd)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * The papers first ingested inside the edition's window that arXiv now reports withdrawn:
 * among them every candidate withdrawn since the edition was frozen (the freeze left out
 * those withdrawn before, which are listed too). The window, not the freeze time, because
 * a paper is withdrawn after its first ingestion by the ingest's own clock, whatever the
 * planner's; one range of the partial index papers_withdrawn_ingested (migrations/0020),
 * so it reads the few withdrawn papers, never the window's candidates.
 */
export async function getWithdrawnInWindow(db: D1Database, edition: Edition): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT id FROM papers WHERE withdrawn = 1 AND ingested_at >= ?1 AND ingested_at < ?2')
    .bind(edition.windowStart, edition.windowEnd)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/**
 * Papers by id in the order given, in one statement whatever their number (the ids travel
 * as one JSON parameter); ids with no paper are left out. The sender reads an edition's
 * candidates this way a page at a time (`editionPaperPages`).
 */
export async function getPapersInOrder(db: D1Database, ids: readonly string[]): Promise<Paper[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT p.* FROM json_each(?) AS c JOIN papers p ON p.id = c.value
       ORDER BY c.key`,
    )
    .bind(JSON.stringify(ids))
    .all<PaperRow>();
  return results.map(rowToPaper);
}
