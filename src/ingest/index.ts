/**
 * Ingest entry point (ingest issue): pulls Hugging Face Daily Papers and arXiv into D1.
 */
import type { AppContext } from '../env';

export type IngestSource = 'hf' | 'arxiv';

export interface IngestOptions {
  sources: IngestSource[];
  at: Date;
  /** YYYY-MM-DD to backfill instead of "today". */
  date?: string;
}

export async function runIngest(_app: AppContext, _options: IngestOptions): Promise<{ runs: unknown[] }> {
  return { runs: [] };
}
