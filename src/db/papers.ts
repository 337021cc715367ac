/**
 * SQL for the papers table: row mapping and reads. Writes (the ingest upsert) live here
 * too, so every query touching papers is in one file.
 */

import type { Paper, PaperSource } from '../domain';
import { chunk, D1_MAX_PARAMS, placeholders } from './chunk';

export interface PaperRow {
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: string;
  categories: string;
  primary_category: string | null;
  abs_url: string | null;
  pdf_url: string | null;
  hf_url: string | null;
  code_url: string | null;
  project_url: string | null;
  github_stars: number | null;
  thumbnail_url: string | null;
  upvotes: number;
  num_comments: number;
  ai_summary: string | null;
  ai_keywords: string;
  comment: string | null;
  doi: string | null;
  journal_ref: string | null;
  published_at: string | null;
  updated_at: string | null;
  hf_date: string | null;
  sources: string;
  ingested_at: string;
  refreshed_at: string;
}

export function rowToPaper(row: PaperRow): Paper {
  return {
    id: row.id,
    version: row.version,
    title: row.title,
    abstract: row.abstract,
    authors: JSON.parse(row.authors) as string[],
    categories: JSON.parse(row.categories) as string[],
    primaryCategory: row.primary_category,
    links: {
      abs: row.abs_url ?? `https://arxiv.org/abs/${row.id}`,
      pdf: row.pdf_url,
      hf: row.hf_url,
      code: row.code_url,
      project: row.project_url,
    },
    githubStars: row.github_stars,
    thumbnailUrl: row.thumbnail_url,
    upvotes: row.upvotes,
    numComments: row.num_comments,
    aiSummary: row.ai_summary,
    aiKeywords: JSON.parse(row.ai_keywords) as string[],
    comment: row.comment,
    doi: row.doi,
    journalRef: row.journal_ref,
    publishedAt: row.published_at,
    updatedAt: row.updated_at,
    hfDate: row.hf_date,
    sources: JSON.parse(row.sources) as PaperSource[],
    ingestedAt: row.ingested_at,
    refreshedAt: row.refreshed_at,
  };
}

export async function countPapers(db: D1Database): Promise<number> {
  const row = await db.prepare('SELECT COUNT(*) AS count FROM papers').first<{ count: number }>();
  return row?.count ?? 0;
}

/** Papers first stored in [since, until), most upvoted first: an edition's candidates. */
export async function listPapersIngestedBetween(
  db: D1Database,
  since: string,
  until: string,
): Promise<Paper[]> {
  const { results } = await db
    .prepare('SELECT * FROM papers WHERE ingested_at >= ? AND ingested_at < ? ORDER BY upvotes DESC, id')
    .bind(since, until)
    .all<PaperRow>();
  return results.map(rowToPaper);
}

/** Loads papers by id in chunks (D1 allows 100 bound parameters per statement). */
export async function getPapersByIds(db: D1Database, ids: string[]): Promise<Paper[]> {
  if (ids.length === 0) return [];
  const results = await db.batch<PaperRow>(
    chunk(ids, D1_MAX_PARAMS).map((part) =>
      db.prepare(`SELECT * FROM papers WHERE id IN (${placeholders(part.length)})`).bind(...part),
    ),
  );
  const byId = new Map(results.flatMap((result) => result.results).map((row) => [row.id, rowToPaper(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The most recent papers, most upvoted first within a day: the landing page's sample. */
export async function listLatestPapers(db: D1Database, limit: number): Promise<Paper[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM papers
       ORDER BY COALESCE(hf_date, substr(published_at, 1, 10), substr(ingested_at, 1, 10)) DESC, upvotes DESC, id DESC
       LIMIT ?`,
    )
    .bind(limit)
    .all<PaperRow>();
  return results.map(rowToPaper);
}
