/**
 * SQL for the papers table: row mapping and reads. Writes (the ingest upsert) live here
 * too, so every query touching papers is in one file.
 */

import type { IncomingPaper, Paper, PaperSource } from '../domain';
import { plainHttpUrlOrNull } from '../lib/url';
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
  /** 1 when the newest arXiv version is a withdrawal (migrations/0012): never a candidate. */
  withdrawn: number;
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
      // Typed in on Hugging Face; one stored before ingest checked it is read as no link.
      code: plainHttpUrlOrNull(row.code_url),
      project: plainHttpUrlOrNull(row.project_url),
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
    // Only when set, so the papers every digest is made of look exactly as they did.
    ...(row.withdrawn ? { withdrawn: true } : {}),
  };
}

export async function countPapers(db: D1Database): Promise<number> {
  const row = await db.prepare('SELECT COUNT(*) AS count FROM papers').first<{ count: number }>();
  return row?.count ?? 0;
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

/** Which of `ids` are stored (chunked like getPapersByIds). */
export async function storedPaperIds(db: D1Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const results = await db.batch<{ id: string }>(
    chunk(ids, 500).map((part) =>
      db
        .prepare('SELECT id FROM papers WHERE id IN (SELECT value FROM json_each(?))')
        .bind(JSON.stringify(part)),
    ),
  );
  return new Set(results.flatMap((result) => result.results.map((row) => row.id)));
}

/** The most recent papers, most upvoted first within a day, none withdrawn: the landing page's sample. */
export async function listLatestPapers(db: D1Database, limit: number): Promise<Paper[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM papers WHERE withdrawn = 0
       ORDER BY COALESCE(hf_date, substr(published_at, 1, 10), substr(ingested_at, 1, 10)) DESC, upvotes DESC, id DESC
       LIMIT ?`,
    )
    .bind(limit)
    .all<PaperRow>();
  return results.map(rowToPaper);
}

/** Columns written by the ingest upsert, in insert order (every column of the table). */
const UPSERT_COLUMNS = [
  'id',
  'version',
  'title',
  'abstract',
  'authors',
  'categories',
  'primary_category',
  'abs_url',
  'pdf_url',
  'hf_url',
  'code_url',
  'project_url',
  'github_stars',
  'thumbnail_url',
  'upvotes',
  'num_comments',
  'ai_summary',
  'ai_keywords',
  'comment',
  'doi',
  'journal_ref',
  'published_at',
  'updated_at',
  'hf_date',
  'sources',
  'ingested_at',
  'refreshed_at',
  'withdrawn',
] as const satisfies readonly (keyof PaperRow)[];

/**
 * How an incoming paper merges into an existing row. The text (title, abstract, authors,
 * arXiv metadata) follows arXiv when it reports the same or a newer version; Hugging Face
 * text only fills rows arXiv has not described yet. Whichever copy loses still fills what
 * the stored row lacks (an empty abstract or author list, no DOI or journal reference):
 * Hugging Face may list a newer version than arXiv has sent us, often without an abstract
 * or authors, and the older arXiv copy is then the only one that has them. HF-only fields
 * (upvotes, AI summary, links) survive an arXiv re-ingest, arXiv categories survive an HF
 * re-ingest, sources are merged, and `ingested_at` never changes after the first insert:
 * the digest planner's "new papers" are those first ingested in its window. `withdrawn` follows arXiv's newest
 * version: a newer version decides, the same version can only add a withdrawal (one that
 * Hugging Face reported first, see markPapersWithdrawn), and Hugging Face text never
 * brings a withdrawn paper back. A row with no version yet (Hugging Face alone brought it)
 * has no version arXiv's can be newer than: its first arXiv listing can only add a
 * withdrawal, so a mark Hugging Face set is not cleared by the version it was set on.
 */
const FROM_ARXIV = `instr(excluded.sources, '"arxiv"') > 0`;
const FROM_HF = `instr(excluded.sources, '"hf"') > 0`;
const ARXIV_TEXT_WINS = `(${FROM_ARXIV} AND (papers.version IS NULL OR excluded.version IS NULL OR excluded.version >= papers.version))`;
const HF_TEXT_WINS = `(${FROM_HF} AND instr(papers.sources, '"arxiv"') = 0)`;
const TEXT_WINS = `(${ARXIV_TEXT_WINS} OR ${HF_TEXT_WINS})`;

const MERGE_ASSIGNMENTS = `
  version = CASE WHEN ${ARXIV_TEXT_WINS} THEN excluded.version ELSE COALESCE(papers.version, excluded.version) END,
  title = CASE WHEN ${TEXT_WINS} THEN excluded.title ELSE papers.title END,
  abstract = CASE WHEN ${TEXT_WINS} AND excluded.abstract <> '' THEN excluded.abstract
                  WHEN papers.abstract = '' THEN excluded.abstract ELSE papers.abstract END,
  authors = CASE WHEN ${TEXT_WINS} AND excluded.authors <> '[]' THEN excluded.authors
                 WHEN papers.authors = '[]' THEN excluded.authors ELSE papers.authors END,
  categories = CASE WHEN excluded.categories <> '[]' THEN excluded.categories ELSE papers.categories END,
  primary_category = COALESCE(excluded.primary_category, papers.primary_category),
  abs_url = COALESCE(excluded.abs_url, papers.abs_url),
  pdf_url = COALESCE(excluded.pdf_url, papers.pdf_url),
  hf_url = COALESCE(excluded.hf_url, papers.hf_url),
  code_url = COALESCE(excluded.code_url, papers.code_url),
  project_url = COALESCE(excluded.project_url, papers.project_url),
  github_stars = COALESCE(excluded.github_stars, papers.github_stars),
  thumbnail_url = COALESCE(excluded.thumbnail_url, papers.thumbnail_url),
  upvotes = CASE WHEN ${FROM_HF} THEN excluded.upvotes ELSE papers.upvotes END,
  num_comments = CASE WHEN ${FROM_HF} THEN excluded.num_comments ELSE papers.num_comments END,
  ai_summary = COALESCE(excluded.ai_summary, papers.ai_summary),
  ai_keywords = CASE WHEN excluded.ai_keywords <> '[]' THEN excluded.ai_keywords ELSE papers.ai_keywords END,
  comment = CASE WHEN ${ARXIV_TEXT_WINS} THEN excluded.comment ELSE papers.comment END,
  doi = CASE WHEN ${ARXIV_TEXT_WINS} THEN COALESCE(excluded.doi, papers.doi) ELSE COALESCE(papers.doi, excluded.doi) END,
  journal_ref = CASE WHEN ${ARXIV_TEXT_WINS} THEN COALESCE(excluded.journal_ref, papers.journal_ref)
                     ELSE COALESCE(papers.journal_ref, excluded.journal_ref) END,
  published_at = CASE WHEN ${FROM_ARXIV} THEN COALESCE(excluded.published_at, papers.published_at)
                      ELSE COALESCE(papers.published_at, excluded.published_at) END,
  updated_at = CASE WHEN ${ARXIV_TEXT_WINS} THEN COALESCE(excluded.updated_at, papers.updated_at) ELSE papers.updated_at END,
  hf_date = CASE WHEN papers.hf_date IS NULL THEN excluded.hf_date
                 WHEN excluded.hf_date IS NULL OR excluded.hf_date >= papers.hf_date THEN papers.hf_date
                 ELSE excluded.hf_date END,
  sources = (SELECT json_group_array(value) FROM (
               SELECT value FROM json_each(papers.sources) UNION SELECT value FROM json_each(excluded.sources)
               ORDER BY value)),
  refreshed_at = excluded.refreshed_at,
  withdrawn = CASE WHEN ${ARXIV_TEXT_WINS} AND papers.version IS NOT NULL AND (excluded.version IS NULL OR excluded.version > papers.version)
                   THEN excluded.withdrawn
                   WHEN ${ARXIV_TEXT_WINS} THEN MAX(papers.withdrawn, excluded.withdrawn)
                   ELSE papers.withdrawn END`;

/**
 * Rows travel as ONE JSON parameter per statement (expanded with json_each), so a statement
 * stays far below D1's 100 bound parameters and a run of thousands of papers needs only a
 * few dozen statements (D1 also caps queries per invocation).
 */
export const PAPER_UPSERT_SQL = `
  INSERT INTO papers (${UPSERT_COLUMNS.join(', ')})
  SELECT ${UPSERT_COLUMNS.map((column) => `json_extract(value, '$.${column}')`).join(', ')}
  FROM json_each(?) WHERE true
  ON CONFLICT (id) DO UPDATE SET ${MERGE_ASSIGNMENTS}
  RETURNING *`;

/** Papers per upsert statement at most (the RETURNING rows of one statement stay small too). */
export const PAPERS_PER_UPSERT = 50;

/**
 * UTF-8 bytes of one upsert statement's JSON parameter at most. D1 refuses a string or row
 * over its ~1-2 MB limits (SQLITE_TOOBIG), and papers vary a thousandfold in size: 50
 * big-collaboration physics papers of 3,000 authors each are ~3 MB. Statements are cut by
 * size, not only by count; a single paper larger than this is not a paper but garbage.
 */
export const MAX_UPSERT_BYTES = 1_000_000;

export interface UpsertPapersResult {
  /** Ids stored for the first time. */
  inserted: string[];
  /** Ids whose stored row changed (text, counters, links, sources...). */
  updated: string[];
  /** Ids seen again with nothing new (only refreshed_at moved). */
  unchanged: string[];
  /** Papers not stored because their row alone exceeds MAX_UPSERT_BYTES, with why. */
  tooLarge: { id: string; reason: string }[];
}

/**
 * The JSON parameters of the upsert statements: rows in order, each parameter at most
 * PAPERS_PER_UPSERT rows and MAX_UPSERT_BYTES bytes. Rows too large on their own are left
 * out and returned, so that one garbage paper does not cost a whole run.
 */
export function upsertParameters(rows: readonly PaperRow[]): {
  parameters: string[];
  tooLarge: { id: string; bytes: number }[];
} {
  const encoder = new TextEncoder();
  const parameters: string[] = [];
  const tooLarge: { id: string; bytes: number }[] = [];
  let current: string[] = [];
  // "[" + "]" and, per row after the first, a comma.
  let currentBytes = 2;
  const flush = () => {
    if (current.length > 0) parameters.push(`[${current.join(',')}]`);
    current = [];
    currentBytes = 2;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    const bytes = encoder.encode(json).length;
    if (bytes + 2 > MAX_UPSERT_BYTES) {
      tooLarge.push({ id: row.id, bytes });
      continue;
    }
    const added = bytes + (current.length > 0 ? 1 : 0);
    if (current.length >= PAPERS_PER_UPSERT || currentBytes + added > MAX_UPSERT_BYTES) flush();
    currentBytes += bytes + (current.length > 0 ? 1 : 0);
    current.push(json);
  }
  flush();
  return { parameters, tooLarge };
}

/**
 * The stored row of an incoming paper first seen at `now` (what PAPER_UPSERT_SQL expects).
 * A count the source left out keeps the stored one (`previous`), or 0 for a new paper: the
 * columns are NOT NULL, so "absent" cannot travel into the upsert as NULL.
 */
export function paperToRow(paper: IncomingPaper, now: string, previous?: PaperRow): PaperRow {
  return {
    id: paper.id,
    version: paper.version,
    title: paper.title,
    abstract: paper.abstract,
    authors: JSON.stringify(paper.authors),
    categories: JSON.stringify(paper.categories),
    primary_category: paper.primaryCategory,
    abs_url: paper.links.abs,
    pdf_url: paper.links.pdf,
    hf_url: paper.links.hf,
    code_url: paper.links.code,
    project_url: paper.links.project,
    github_stars: paper.githubStars,
    thumbnail_url: paper.thumbnailUrl,
    upvotes: paper.upvotes ?? previous?.upvotes ?? 0,
    num_comments: paper.numComments ?? previous?.num_comments ?? 0,
    ai_summary: paper.aiSummary,
    ai_keywords: JSON.stringify(paper.aiKeywords),
    comment: paper.comment,
    doi: paper.doi,
    journal_ref: paper.journalRef,
    published_at: paper.publishedAt,
    updated_at: paper.updatedAt,
    hf_date: paper.hfDate,
    sources: JSON.stringify([...paper.sources].sort()),
    ingested_at: now,
    refreshed_at: now,
    withdrawn: paper.withdrawn ? 1 : 0,
  };
}

const sameStoredContent = (before: PaperRow, after: PaperRow): boolean =>
  UPSERT_COLUMNS.every((column) => column === 'refreshed_at' || before[column] === after[column]);

/**
 * Inserts new papers and merges known ones (see MERGE_ASSIGNMENTS), in one `db.batch()`
 * per phase, statements cut by count and size (upsertParameters). Existing rows are read
 * first so the result says exactly which ids were new, which changed and which were
 * already up to date.
 */
export async function upsertPapers(
  db: D1Database,
  papers: readonly IncomingPaper[],
  now: string,
): Promise<UpsertPapersResult> {
  const byId = new Map(papers.map((paper) => [paper.id, paper]));
  if (byId.size === 0) return { inserted: [], updated: [], unchanged: [], tooLarge: [] };
  const ids = [...byId.keys()];

  const existingResults = await db.batch<PaperRow>(
    chunk(ids, 500).map((part) =>
      db
        .prepare('SELECT * FROM papers WHERE id IN (SELECT value FROM json_each(?))')
        .bind(JSON.stringify(part)),
    ),
  );
  const before = new Map(existingResults.flatMap((result) => result.results).map((row) => [row.id, row]));

  const rows = [...byId.values()].map((paper) => paperToRow(paper, now, before.get(paper.id)));
  const { parameters, tooLarge } = upsertParameters(rows);
  const written =
    parameters.length === 0
      ? []
      : await db.batch<PaperRow>(parameters.map((parameter) => db.prepare(PAPER_UPSERT_SQL).bind(parameter)));

  const result: UpsertPapersResult = {
    inserted: [],
    updated: [],
    unchanged: [],
    tooLarge: tooLarge.map(({ id, bytes }) => ({
      id,
      reason: `paper ${id} is too large to store (${bytes} bytes; at most ${MAX_UPSERT_BYTES})`,
    })),
  };
  for (const row of written.flatMap((statement) => statement.results)) {
    const previous = before.get(row.id);
    if (!previous) result.inserted.push(row.id);
    else if (sameStoredContent(previous, row)) result.unchanged.push(row.id);
    else result.updated.push(row.id);
  }
  return result;
}

/**
 * Marks stored papers withdrawn (Hugging Face's `withdrawnAt` on a paper we already hold):
 * from then on they are no candidate, and the sender leaves them out of editions frozen
 * before (`getWithdrawnInWindow`). `refreshed_at` moves to `at` as on any other change, so
 * that what shows the paper marked (a subscriber's feed) can say when it last changed.
 * Returns the ids that were not marked yet.
 */
export async function markPapersWithdrawn(
  db: D1Database,
  ids: readonly string[],
  at: string,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const results = await db.batch<{ id: string }>(
    chunk(ids, 500).map((part) =>
      db
        .prepare(
          'UPDATE papers SET withdrawn = 1, refreshed_at = ?2 WHERE withdrawn = 0 AND id IN (SELECT value FROM json_each(?1)) RETURNING id',
        )
        .bind(JSON.stringify(part), at),
    ),
  );
  return results.flatMap((result) => result.results.map((row) => row.id));
}

/**
 * Moves the first-ingestion time of the given papers. Only the demo seed uses it: it
 * re-dates real, already stored lists so that today's edition window finds them again.
 */
export async function setPapersIngestedAt(db: D1Database, ids: readonly string[], at: string): Promise<void> {
  await db
    .prepare('UPDATE papers SET ingested_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))')
    .bind(at, JSON.stringify(ids))
    .run();
}
