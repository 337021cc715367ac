/**
 * SQL for form_submissions: the public forms accepted per client (a keyed hash of its IPv4
 * address or IPv6 /64) in the last 24 hours, so one client cannot make us send mail
 * without end (src/subscriptions/guards.ts). Recording is one conditional INSERT, so
 * concurrent submissions from one client cannot all slip under the cap.
 */
import { nowIso } from '../lib/time';
import { deleteExpiredRows } from './chunk';

const DAY_MS = 86_400_000;

export type FormSubmissionCount = { recorded: true } | { recorded: false; retryAfterSeconds: number };

/**
 * Records a submission if the client made fewer than `perDay` in the last 24 hours;
 * otherwise records nothing and says when its oldest counted submission ages out.
 */
export async function recordFormSubmission(
  db: D1Database,
  clientHash: string,
  perDay: number,
  now: Date,
): Promise<FormSubmissionCount> {
  const dayAgo = nowIso(new Date(now.getTime() - DAY_MS));
  const row = await db
    .prepare(
      `INSERT INTO form_submissions (client_hash, created_at)
       SELECT ?1, ?2
       WHERE (SELECT COUNT(*) FROM form_submissions WHERE client_hash = ?1 AND created_at > ?3) < ?4
       RETURNING id`,
    )
    .bind(clientHash, nowIso(now), dayAgo, perDay)
    .first<{ id: number }>();
  if (row) return { recorded: true };
  const oldest = await db
    .prepare('SELECT MIN(created_at) AS at FROM form_submissions WHERE client_hash = ? AND created_at > ?')
    .bind(clientHash, dayAgo)
    .first<{ at: string | null }>();
  const freesAt = oldest?.at ? Date.parse(oldest.at) + DAY_MS : now.getTime();
  return { recorded: false, retryAfterSeconds: Math.max(60, Math.ceil((freesAt - now.getTime()) / 1000)) };
}

/** Housekeeping: submissions older than the day `recordFormSubmission` counts no longer matter. */
export async function deleteExpiredFormSubmissions(
  db: D1Database,
  now: Date,
  limit: number,
): Promise<number> {
  return deleteExpiredRows(db, 'form_submissions', nowIso(new Date(now.getTime() - DAY_MS)), limit);
}
