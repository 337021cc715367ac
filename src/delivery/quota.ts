/**
 * The sending pauses. When Resend answers daily_quota_exceeded or monthly_quota_exceeded,
 * nothing can be sent until the quota resets (next UTC day or month), so the consumer
 * records a pause in app_state, parks its deliveries instead of burning queue retries, and
 * /admin/stats shows the pause; the hourly planner re-enqueues the parked deliveries once
 * the pause has ended. A refusal of the account's configuration (the API key, an unverified
 * sending domain, the from address) is the same for every recipient and only an operator
 * can end it: it pauses sending the same way, for `CONFIG_PAUSE_MS` at a time, after which
 * the next message tries again (and pauses again while nothing was fixed), so an edition
 * waits for the fix instead of failing digest by digest.
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

/** The configuration refusal that holds sending, as Resend worded it. */
export interface ConfigPause {
  /** ISO time when the next message asks Resend again. */
  until: string;
  since: string;
  status: number;
  name: string;
  message: string;
}

export const CONFIG_PAUSE_KEY = 'resend_config_pause';
/** How long a configuration refusal holds sending before one message asks again. */
export const CONFIG_PAUSE_MS = 30 * 60_000;

export async function pauseForConfiguration(
  db: D1Database,
  refusal: { status: number; name: string; message: string },
  now: Date,
): Promise<ConfigPause> {
  const pause: ConfigPause = {
    until: new Date(now.getTime() + CONFIG_PAUSE_MS).toISOString(),
    since: now.toISOString(),
    status: refusal.status,
    name: refusal.name,
    message: refusal.message,
  };
  await setAppState(db, CONFIG_PAUSE_KEY, pause);
  return pause;
}

/** The configuration pause in force at `now`, or null (an ended one is left for the next). */
export async function activeConfigPause(db: D1Database, now: Date): Promise<ConfigPause | null> {
  const pause = await getAppState<ConfigPause>(db, CONFIG_PAUSE_KEY);
  return pause && Date.parse(pause.until) > now.getTime() ? pause : null;
}

/** Whatever holds sending at `now`: the quota or a configuration refusal, or null. */
export async function activeSendingPause(
  db: D1Database,
  now: Date,
): Promise<QuotaPause | ConfigPause | null> {
  const [quota, config] = await Promise.all([activeQuotaPause(db, now), activeConfigPause(db, now)]);
  return quota ?? config;
}

/** The pause in force at `now`, or null; an expired pause is cleared on the way. */
export async function activeQuotaPause(db: D1Database, now: Date): Promise<QuotaPause | null> {
  const pause = await getAppState<QuotaPause>(db, QUOTA_PAUSE_KEY);
  if (!pause) return null;
  if (Date.parse(pause.until) > now.getTime()) return pause;
  await deleteAppState(db, QUOTA_PAUSE_KEY);
  return null;
}
