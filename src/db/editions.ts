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

export function insertEditionStatement(db: D1Database, edition: Edition): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      edition.id,
      edition.frequency,
      edition.periodKey,
      edition.plannedAt,
      edition.windowStart,
      edition.windowEnd,
      JSON.stringify(edition.paperIds),
    );
}

export async function getEdition(db: D1Database, id: string): Promise<Edition | null> {
  const row = await db.prepare('SELECT * FROM editions WHERE id = ?').bind(id).first<EditionRow>();
  return row ? fromRow(row) : null;
}

/** Ids of the papers first stored inside [since, until): an edition's candidate set. */
export async function listCandidatePaperIds(db: D1Database, since: string, until: string): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT id FROM papers WHERE ingested_at >= ? AND ingested_at < ? ORDER BY upvotes DESC, id')
    .bind(since, until)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** The edition's candidate papers in one statement (the id list is read inside SQLite). */
export async function getEditionPapers(db: D1Database, editionId: string): Promise<Paper[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM papers
       WHERE id IN (SELECT value FROM json_each((SELECT paper_ids FROM editions WHERE id = ?)))
       ORDER BY upvotes DESC, id`,
    )
    .bind(editionId)
    .all<PaperRow>();
  return results.map(rowToPaper);
}
