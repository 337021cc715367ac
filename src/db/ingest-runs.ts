/**
 * SQL for ingest_runs: one row per source per run, so operators (and the landing page's
 * "upstream unreachable" notice) can see what the last ingest did. The daily housekeeping
 * keeps a window of them and each source's newest, so the table stays a few hundred rows.
 */
import { deleteAppState, getAppState, setAppState } from './app-state';
import { deleteExpiredRows } from './chunk';

export interface IngestRun {
  id: number;
  source: string;
  window: string;
  status: 'ok' | 'failed';
  fetched: number;
  inserted: number;
  updated: number;
  skipped: number;
  errors: string[];
  started_at: string;
  duration_ms: number;
}

type IngestRunRow = Omit<IngestRun, 'errors'> & { errors: string };

/** The newest run of each source. */
export async function latestIngestRuns(db: D1Database): Promise<IngestRun[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM ingest_runs WHERE id IN (SELECT MAX(id) FROM ingest_runs GROUP BY source) ORDER BY source`,
    )
    .all<IngestRunRow>();
  return results.map((row) => ({ ...row, errors: JSON.parse(row.errors) as string[] }));
}

export type NewIngestRun = Omit<IngestRun, 'id'>;

/** Records one source's run; returns its id. */
export async function insertIngestRun(db: D1Database, run: NewIngestRun): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO ingest_runs
         (source, window, status, fetched, inserted, updated, skipped, errors, started_at, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .bind(
      run.source,
      run.window,
      run.status,
      run.fetched,
      run.inserted,
      run.updated,
      run.skipped,
      JSON.stringify(run.errors),
      run.started_at,
      run.duration_ms,
    )
    .first<{ id: number }>();
  return row?.id ?? 0;
}

/**
 * Deletes at most `limit` runs started before `cutoff`, never a source's newest (the
 * landing page's notice and the dashboard read it); returns how many went.
 */
export function deleteExpiredIngestRuns(db: D1Database, cutoff: string, limit: number): Promise<number> {
  return deleteExpiredRows(db, 'ingest_runs', cutoff, limit);
}

/** The most recent runs of every source, newest first (for /dev and operators). */
export async function listRecentIngestRuns(db: D1Database, limit: number): Promise<IngestRun[]> {
  const { results } = await db
    .prepare('SELECT * FROM ingest_runs ORDER BY id DESC LIMIT ?')
    .bind(limit)
    .all<IngestRunRow>();
  return results.map((row) => ({ ...row, errors: JSON.parse(row.errors) as string[] }));
}

/**
 * A per-source lease in app_state so two arXiv crawls (cron plus a manual backfill) never
 * hit the API at the same time. Returns false while another unexpired lease is held; a
 * crashed run's lease simply expires.
 */
export async function tryAcquireIngestLease(
  db: D1Database,
  source: string,
  now: Date,
  holdMs: number,
): Promise<boolean> {
  const until = new Date(now.getTime() + holdMs).toISOString();
  const row = await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
         WHERE json_extract(app_state.value, '$.until') < ?
       RETURNING key`,
    )
    .bind(`ingest_lease:${source}`, JSON.stringify({ until }), now.toISOString(), now.toISOString())
    .first<{ key: string }>();
  return row !== null;
}

export async function releaseIngestLease(db: D1Database, source: string): Promise<void> {
  await db.prepare('DELETE FROM app_state WHERE key = ?').bind(`ingest_lease:${source}`).run();
}

/**
 * arXiv asks every client for at most one request every 3 s, across runs and crons, not
 * only within one crawl. The time of the last request lives in app_state; each caller
 * takes the next slot (the later of now and last + interval) in one statement, so two
 * runs, even overlapping ones, never come closer than the interval. Returns the slot (ms
 * since epoch); the caller waits until then, and records when its request ended
 * (recordArxivRequestEnd), so the interval counts from the end of one request to the
 * start of the next, whatever latency came in between.
 */
export async function reserveArxivRequestSlot(
  db: D1Database,
  nowMs: number,
  intervalMs: number,
): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES ('arxiv_last_request', json_object('at', ?1), ?2)
       ON CONFLICT (key) DO UPDATE
         SET value = json_object('at', max(json_extract(app_state.value, '$.at') + ?3, ?1)), updated_at = ?2
       RETURNING json_extract(value, '$.at') AS at`,
    )
    .bind(nowMs, new Date(nowMs).toISOString(), intervalMs)
    .first<{ at: number }>();
  return row?.at ?? nowMs;
}

/** Moves the last request time forward to when a request actually finished. */
export async function recordArxivRequestEnd(db: D1Database, endMs: number): Promise<void> {
  await db
    .prepare(
      `UPDATE app_state SET value = json_object('at', max(json_extract(value, '$.at'), ?1)), updated_at = ?2
       WHERE key = 'arxiv_last_request'`,
    )
    .bind(endMs, new Date(endMs).toISOString())
    .run();
}

/**
 * The newest submission (`published`, ISO) a complete arXiv crawl has stored, and when that
 * crawl ran (`at`). The next crawl reaches back to `published` when it lies before its usual
 * window: after days with no announcements (arXiv's year-end break) or without a complete
 * crawl of ours, the first listing holds submissions from all those days, and only this
 * says how far back is new. `at` bounds its look for new versions of older papers.
 */
export interface ArxivCrawledThrough {
  published: string;
  at: string;
}

const CRAWLED_THROUGH_KEY = 'arxiv_crawled_through';

export const getArxivCrawledThrough = (db: D1Database): Promise<ArxivCrawledThrough | null> =>
  getAppState<ArxivCrawledThrough>(db, CRAWLED_THROUGH_KEY);

export const recordArxivCrawledThrough = (db: D1Database, published: string, at: Date): Promise<void> =>
  setAppState(db, CRAWLED_THROUGH_KEY, { published, at: at.toISOString() } satisfies ArxivCrawledThrough);

/** An upstream's "do not ask before `until`" (its Retry-After), and the answer that said so. */
export interface IngestNotBefore {
  source: string;
  until: string;
  reason: string;
}

const NOT_BEFORE_KEY = 'ingest_not_before:';

/**
 * Kept in app_state, so a Retry-After longer than one run waits holds off the next runs
 * (crons and POST /admin/ingest alike) until it is over, not only the rest of this one.
 */
export const setIngestNotBefore = (
  db: D1Database,
  { source, until, reason }: IngestNotBefore,
): Promise<void> => setAppState(db, `${NOT_BEFORE_KEY}${source}`, { until, reason });

/** One source's recorded wait, over or not (the caller compares `until` with its clock). */
export async function getIngestNotBefore(db: D1Database, source: string): Promise<IngestNotBefore | null> {
  const wait = await getAppState<Omit<IngestNotBefore, 'source'>>(db, `${NOT_BEFORE_KEY}${source}`);
  return wait ? { source, ...wait } : null;
}

/** Every source's recorded wait, over or not (the caller compares `until` with its clock). */
export async function listIngestNotBefore(db: D1Database): Promise<IngestNotBefore[]> {
  const { results } = await db
    .prepare(
      `SELECT substr(key, ?1) AS source, json_extract(value, '$.until') AS until,
              json_extract(value, '$.reason') AS reason
       FROM app_state WHERE key > ?2 AND key < ?3 ORDER BY key`,
    )
    .bind(NOT_BEFORE_KEY.length + 1, NOT_BEFORE_KEY, `${NOT_BEFORE_KEY.slice(0, -1)};`)
    .all<IngestNotBefore>();
  return results;
}

export const clearIngestNotBefore = (db: D1Database, source: string): Promise<void> =>
  deleteAppState(db, `${NOT_BEFORE_KEY}${source}`);
