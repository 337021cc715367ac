/**
 * How long the records a sent digest leaves behind are kept, and the pass that deletes the
 * rest. A D1 database holds at most 10 GB and every email leaves ~4 KB (its delivery row
 * with the ranking snapshot the web view shows, ~2.5 KB at 10 papers; Resend's email.sent
 * and email.delivered events, ~1.5 KB; scripts/bench/storage.py): kept forever, a list of
 * 10,000 daily readers fills it in about eight months. So:
 * - webhook events go after `WEBHOOK_EVENT_DAYS`: Resend stops retrying an event within a
 *   day, so deduplication never needs them longer, and what lasts (a bounce, a complaint)
 *   is in `suppressions` and on the subscriber;
 * - a digest (its delivery row, so its view-in-browser and 👍/👎 links, and its place in
 *   the feed) goes after DIGEST_RETENTION_DAYS (30 by default, 0 = kept for ever; never
 *   under 12 days: the rows say what was already sent within a candidate window, 8 days,
 *   and a weekly digest may be ranked up to 72 h after its edition was planned);
 *   an edition once none of its digests is left;
 * - the `sent_papers` rows of earlier releases go whatever their age: nothing reads them;
 * - a paper goes after PAPER_RETENTION_DAYS (365 by default, 0 = kept for ever; ~2.7 KB
 *   each, ~4 GB a year when arXiv ingest brings 4,000 papers a day), and never one stored
 *   after the oldest edition still kept opened its candidate window, so a digest that is
 *   kept always shows every paper it sent (with digests kept for ever, so are their
 *   papers). The public archive (/papers) then starts that many days back.
 * The pass runs from the daily housekeeping cron, a step per invocation (a page of each
 * table, at most 9,600 rows written as production D1 counts them), and continues on the
 * plan queue while a page comes back full: a day of a million daily readers (a million
 * deliveries, two million events) is ~2,000 steps, and a larger backlog is worked off over
 * the next days' passes. The daily start also restarts erasures whose continuation was lost
 * (src/subscriptions/erase.ts).
 */
import { deleteExpiredPages, type RetainedTable, type RetentionPage } from '../db/retention';
import type { AppContext, Config } from '../env';
import { logEvent } from '../lib/log';
import { resumeErasures } from '../subscriptions/erase';
import type { PruneMessage } from './messages';

export const WEBHOOK_EVENT_DAYS = 7;

/**
 * Rows looked at per table in one step. Production D1 counts a deleted row as written once
 * for the row and once per index entry (a sent delivery has 7, an event 2, an old sent paper
 * 2, an edition 3, a paper 6), so a step writes at most 500 × 8 + 1,000 × 3 + 500 × 3 +
 * 100 × 4 + 100 × 7 = 9,600 rows, and reads ~2,200 plus the lookups, inside the ~10,000 we
 * plan for (local D1, which counts the rows alone, measures it in
 * test/delivery/retention.test.ts).
 */
export const RETENTION_PAGE: Record<RetainedTable, number> = {
  webhook_events: 1_000,
  sent_papers: 500,
  deliveries: 500,
  editions: 100,
  papers: 100,
};

/** Steps of one pass at most (2 M deliveries): a larger backlog is finished by the next days' passes. */
export const MAX_RETENTION_STEPS = 4_000;

const DAY_MS = 86_400_000;

type RetentionDays = Pick<Config, 'DIGEST_RETENTION_DAYS' | 'PAPER_RETENTION_DAYS'>;

/** Which rows a pass started at `at` deletes (deliveries before editions: a step can free both). */
export function retentionPages(
  at: Date,
  { DIGEST_RETENTION_DAYS: digestRetentionDays, PAPER_RETENTION_DAYS: paperRetentionDays }: RetentionDays,
): RetentionPage[] {
  const before = (days: number) => new Date(at.getTime() - days * DAY_MS).toISOString();
  const pages: RetentionPage[] = [
    { table: 'webhook_events', before: before(WEBHOOK_EVENT_DAYS), limit: RETENTION_PAGE.webhook_events },
    { table: 'sent_papers', before: at.toISOString(), limit: RETENTION_PAGE.sent_papers },
  ];
  if (digestRetentionDays > 0) {
    const digests = before(digestRetentionDays);
    pages.push(
      { table: 'deliveries', before: digests, limit: RETENTION_PAGE.deliveries },
      { table: 'editions', before: digests, limit: RETENTION_PAGE.editions },
    );
  }
  // After the editions: a step that frees an edition lets its papers go in the same step.
  if (paperRetentionDays > 0) {
    pages.push({ table: 'papers', before: before(paperRetentionDays), limit: RETENTION_PAGE.papers });
  }
  return pages;
}

export interface RetentionStep {
  deleted: Partial<Record<RetainedTable, number>>;
  /** Another step was queued: some page came back full. */
  continues: boolean;
}

/** Starts a retention pass (the daily housekeeping cron): its first step, and erasures left waiting. */
export async function startRetention(app: AppContext, at: Date): Promise<RetentionStep> {
  const step = await retentionStep(app, {
    v: 1,
    kind: 'prune',
    run: crypto.randomUUID(),
    at: at.toISOString(),
    step: 1,
  });
  await resumeErasures(app, at);
  return step;
}

/** One step of a pass: a page of each table, and the next step queued if a page was full. */
export async function retentionStep(app: AppContext, message: PruneMessage): Promise<RetentionStep> {
  const started = Date.now();
  const pages = retentionPages(new Date(message.at), app.config);
  const counts = await deleteExpiredPages(app.db, pages);
  const deleted: RetentionStep['deleted'] = {};
  pages.forEach((page, index) => {
    deleted[page.table] = counts[index] ?? 0;
  });
  const full = pages.some((page, index) => (counts[index] ?? 0) >= page.limit);
  const continues = full && message.step < MAX_RETENTION_STEPS;
  if (continues) {
    const next: PruneMessage = { ...message, step: message.step + 1 };
    await app.planQueue.send(next, { contentType: 'json' });
  }
  logEvent('retention_step', {
    run: message.run,
    at: message.at,
    step: message.step,
    deleted,
    continues,
    ...(full && !continues ? { stopped: `after ${MAX_RETENTION_STEPS} steps; the next pass goes on` } : {}),
    duration_ms: Date.now() - started,
  });
  return { deleted, continues };
}
