/**
 * Which job each cron trigger runs. The expressions must match `[triggers] crons` in
 * wrangler.toml (a test checks this), and `/__scheduled?cron=...` in `npm start` runs the
 * same code. Each job logs one JSON summary line.
 */

import { planDigests } from './delivery/planner';
import type { AppContext } from './env';
import { runIngest } from './ingest';
import { purgeExpiredPending } from './subscriptions/housekeeping';

export const CRONS = {
  planDigests: '0 * * * *',
  ingestHuggingFace: '20 */3 * * *',
  ingestArxiv: '30 1 * * *',
  housekeeping: '45 4 * * *',
} as const;

export async function runCron(app: AppContext, cron: string, at: Date): Promise<void> {
  const started = Date.now();
  let summary: unknown;
  switch (cron) {
    case CRONS.planDigests:
      summary = await planDigests(app, { at });
      break;
    case CRONS.ingestHuggingFace:
      summary = await runIngest(app, { sources: ['hf'], at });
      break;
    case CRONS.ingestArxiv:
      summary = await runIngest(app, { sources: ['arxiv'], at });
      break;
    case CRONS.housekeeping:
      summary = await purgeExpiredPending(app.db, at);
      break;
    default:
      throw new Error(`No job is configured for cron "${cron}" (known: ${Object.values(CRONS).join(', ')})`);
  }
  console.log(JSON.stringify({ event: 'cron', cron, duration_ms: Date.now() - started, summary }));
}
