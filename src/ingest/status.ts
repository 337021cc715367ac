/**
 * What the last ingest of each source did, in the words a person needs: pages (the landing
 * page, /dev) show "upstream unreachable" plainly when the newest run of a source failed,
 * instead of silently showing stale or no papers.
 */
import { type IngestRun, latestIngestRuns } from '../db/ingest-runs';

export const SOURCE_NAMES: Record<string, string> = { hf: 'Hugging Face Daily Papers', arxiv: 'arXiv' };

export interface IngestHealth {
  /** The newest run of each source that has run at least once. */
  latest: IngestRun[];
  /** Sources whose newest run failed, with the first recorded error. */
  unreachable: { source: string; name: string; error: string; at: string }[];
}

export async function ingestHealth(db: D1Database): Promise<IngestHealth> {
  const latest = await latestIngestRuns(db);
  const unreachable = latest
    .filter((run) => run.status === 'failed')
    .map((run) => ({
      source: run.source,
      name: SOURCE_NAMES[run.source] ?? run.source,
      error: run.errors[0] ?? 'unknown error',
      at: run.started_at,
    }));
  return { latest, unreachable };
}
