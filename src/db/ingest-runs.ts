/**
 * SQL for ingest_runs: one row per source per run, so operators (and the landing page's
 * "upstream unreachable" notice) can see what the last ingest did.
 */
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
