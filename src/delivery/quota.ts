/**
 * The Resend quota pause. When Resend answers daily_quota_exceeded or
 * monthly_quota_exceeded, nothing can be sent until the quota resets (next UTC day or
 * month), so the consumer records a pause in app_state, parks its deliveries instead of
 * burning queue retries, and /admin/stats shows the pause; the hourly planner re-enqueues
 * the parked deliveries once the pause has ended.
 */
import { deleteAppState, getAppState, setAppState } from '../db/app-state';

export const QUOTA_PAUSE_KEY = 'resend_quota_pause';

export interface QuotaPause {
  period: 'daily' | 'monthly';
  /** ISO time when sending resumes. */
  until: string;
  since: string;
  message: string;
}

/** The end of the quota period containing `at`: next UTC midnight or first day of next month. */
export function quotaResetsAt(period: 'daily' | 'monthly', at: Date): Date {
  if (period === 'daily')
    return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

export async function pauseForQuota(
  db: D1Database,
  period: 'daily' | 'monthly',
  message: string,
  now: Date,
): Promise<QuotaPause> {
  const pause: QuotaPause = {
    period,
    until: quotaResetsAt(period, now).toISOString(),
    since: now.toISOString(),
    message,
  };
  await setAppState(db, QUOTA_PAUSE_KEY, pause);
  return pause;
}

/** The pause in force at `now`, or null; an expired pause is cleared on the way. */
export async function activeQuotaPause(db: D1Database, now: Date): Promise<QuotaPause | null> {
  const pause = await getAppState<QuotaPause>(db, QUOTA_PAUSE_KEY);
  if (!pause) return null;
  if (Date.parse(pause.until) > now.getTime()) return pause;
  await deleteAppState(db, QUOTA_PAUSE_KEY);
  return null;
}
