/**
 * What the last ingest of each source did, in the words a person needs: pages (the landing
 * page, /dev) show "upstream unreachable" plainly when the newest run of a source failed,
 * instead of silently showing stale or no papers.
 */
import { type IngestRun, latestIngestRuns, listIngestNotBefore } from '../db/ingest-runs';

export const SOURCE_NAMES: Record<string, string> = { hf: 'Hugging Face Daily Papers', arxiv: 'arXiv' };

export interface IngestHealth {
  /** The newest run of each source that has run at least once. */
  latest: IngestRun[];
  /** Sources whose newest run failed, with the first recorded error. */
  unreachable: { source: string; name: string; error: string; at: string }[];
  /** Sources that asked us (Retry-After) not to come back before `until`: runs till then are skipped. */
  waiting: { source: string; name: string; until: string; reason: string }[];
}

/** Sources inside a wait they asked for: their runs are skipped until `until`. */
export async function ingestWaits(db: D1Database, now = new Date()): Promise<IngestHealth['waiting']> {
  return (await listIngestNotBefore(db))
    .filter((wait) => Date.parse(wait.until) > now.getTime())
    .map((wait) => ({ ...wait, name: SOURCE_NAMES[wait.source] ?? wait.source }));
}

export async function ingestHealth(db: D1Database, now = new Date()): Promise<IngestHealth> {
  const [latest, waiting] = await Promise.all([latestIngestRuns(db), ingestWaits(db, now)]);
  const unreachable = latest
    .filter((run) => run.status === 'failed')
    .map((run) => ({
      source: run.source,
      name: SOURCE_NAMES[run.source] ?? run.source,
      error: run.errors[0] ?? 'unknown error',
      at: run.started_at,
    }));
  return { latest, unreachable, waiting };
}
