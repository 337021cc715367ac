/**
 * Which job each cron trigger runs. The expressions must match `[triggers] crons` in
 * wrangler.toml (a test checks this), and `/__scheduled?cron=...` in `npm start` runs the
 * same code. Each job logs one JSON summary line.
 */

import { planDigests } from './delivery/planner';
import type { AppContext } from './env';
import { runIngest } from './ingest';
import { logError, logEvent } from './lib/log';
import { runHousekeeping } from './subscriptions/housekeeping';

export const CRONS = {
  planDigests: '0 * * * *',
  ingestHuggingFace: '20 */3 * * *',
  ingestArxiv: '30 1 * * *',
  housekeeping: '45 4 * * *',
} as const;

export async function runCron(
  app: AppContext,
  cron: string,
  at: Date,
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<void> {
  const job = Object.entries(CRONS).find(([, expression]) => expression === cron)?.[0];
  if (!job) {
    const error = new Error(
      `No job is configured for cron "${cron}" (known: ${Object.values(CRONS).join(', ')})`,
    );
    logError('cron_failed', error, { cron });
    throw error;
  }
  const started = Date.now();
  try {
    const summary = await runJob(app, cron, at, waitUntil);
    logEvent('cron', {
      cron,
      job,
      scheduled_at: at.toISOString(),
      duration_ms: Date.now() - started,
      summary,
    });
  } catch (error) {
    // Logged here as one JSON line and rethrown so the invocation shows as failed.
    logError('cron_failed', error, { cron, job, duration_ms: Date.now() - started });
    throw error;
  }
}

function runJob(
  app: AppContext,
  cron: string,
  at: Date,
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<unknown> {
  switch (cron) {
    case CRONS.planDigests:
      return planDigests(app, { at, waitUntil });
    case CRONS.ingestHuggingFace:
      return runIngest(app, { sources: ['hf'], at });
    case CRONS.ingestArxiv:
      return runIngest(app, { sources: ['arxiv'], at });
    default:
      return runHousekeeping(app, at);
  }
}
