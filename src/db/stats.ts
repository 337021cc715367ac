/**
 * Read-only counts for /admin/stats and the dashboard, and the schema version for
 * /healthz. The counts are kept by triggers (migrations/0030) in `counts` and, for
 * deliveries, one `edition_deliveries` row per edition kept, so a view reads a few rows
 * and the sum over the editions kept (up to 48 a day: daily and weekly, one per hourly run),
 * never the rows counted; one batch, one round trip.
 */
import { CONFIG_PAUSE_KEY, type ConfigPause, QUOTA_PAUSE_KEY, type QuotaPause } from '../delivery/quota';
import { PLAN_RUN_KEYS, type PlanRunProgress } from './planning';

export interface Stats {
  papers: number;
  subscribers: { pending: number; active: number; unsubscribed: number; suppressed: number };
  deliveries: { queued: number; sent: number; failed: number; skipped: number };
  /** D1's own figure for the database file (null where the runtime does not report it). */
  database: { bytes: number | null };
  /** Resend quota pause: while `paused`, digests wait (planned, parked) until `until`. */
  sending: {
    paused: boolean;
    period: 'daily' | 'monthly' | null;
    until: string | null;
    reason: string | null;
  };
  /**
   * Resend refusing the account's configuration (key, sending domain, from address): while
   * set, sending waits (digests planned, parked) until `until`, then one message asks again.
   */
  sendingRefused: ConfigPause | null;
  /** The newest planner run of each kind and how far it got (null: none since the last reset). */
  planner: { hourly: PlanRunProgress | null; all: PlanRunProgress | null };
}

/** The `counts` keys getStats reads (migrations/0030 creates them all). */
const STATS_KEYS = [
  'papers',
  'subscribers:pending',
  'subscribers:active',
  'subscribers:unsubscribed',
  'subscribers:suppressed',
];

export async function getStats(db: D1Database): Promise<Stats> {
  const [counted, deliveries, pauseRows, runRows] = await db.batch<{ key: string; count: number }>([
    db
      .prepare(`SELECT key, n AS count FROM counts WHERE key IN (${STATS_KEYS.map(() => '?').join(',')})`)
      .bind(...STATS_KEYS),
    // The sums over the editions kept as one JSON object (the batch shares one row type).
    db.prepare(
      `SELECT json_object('queued', COALESCE(SUM(queued), 0), 'sent', COALESCE(SUM(sent), 0),
                          'failed', COALESCE(SUM(failed), 0), 'skipped', COALESCE(SUM(skipped), 0)) AS key,
              0 AS count
       FROM edition_deliveries`,
    ),
    // Both sending pauses as one JSON object {key: pause}, like the planner leases below.
    db
      .prepare(
        'SELECT json_group_object(key, json(value)) AS key, 0 AS count FROM app_state WHERE key IN (?, ?)',
      )
      .bind(QUOTA_PAUSE_KEY, CONFIG_PAUSE_KEY),
    // Both planner leases as one JSON object {lease: record} (the batch shares one row type).
    db
      .prepare(
        'SELECT json_group_object(key, json(value)) AS key, 0 AS count FROM app_state WHERE key IN (?, ?)',
      )
      .bind(PLAN_RUN_KEYS.hourly, PLAN_RUN_KEYS.all),
  ]);
  const runs = JSON.parse(runRows!.results[0]?.key ?? '{}') as Record<string, PlanRunProgress>;
  const runOf = (lease: string): PlanRunProgress | null => runs[lease] ?? null;
  const pauses = JSON.parse(pauseRows!.results[0]?.key ?? '{}') as {
    [QUOTA_PAUSE_KEY]?: QuotaPause;
    [CONFIG_PAUSE_KEY]?: ConfigPause;
  };
  const pause = pauses[QUOTA_PAUSE_KEY] ?? null;
  const paused = pause !== null && Date.parse(pause.until) > Date.now();
  // An ended configuration pause stays stored (the next refusal replaces it): not in force.
  const refused = pauses[CONFIG_PAUSE_KEY] ?? null;
  const countOf = (rows: { key: string; count: number }[], key: string) =>
    rows.find((row) => row.key === key)?.count ?? 0;
  const counts = counted!.results;
  const sums = JSON.parse(deliveries!.results[0]!.key) as Stats['deliveries'];
  return {
    papers: countOf(counts, 'papers'),
    subscribers: {
      pending: countOf(counts, 'subscribers:pending'),
      active: countOf(counts, 'subscribers:active'),
      unsubscribed: countOf(counts, 'subscribers:unsubscribed'),
      suppressed: countOf(counts, 'subscribers:suppressed'),
    },
    // "queued" holds "sending" too: a short-lived claim by the queue consumer, still in the queue's hands.
    deliveries: { queued: sums.queued, sent: sums.sent, failed: sums.failed, skipped: sums.skipped },
    // What the retention pass (src/delivery/retention.ts) holds to a steady size.
    database: { bytes: typeof counted!.meta.size_after === 'number' ? counted!.meta.size_after : null },
    sending: {
      paused,
      period: paused ? pause!.period : null,
      until: paused ? pause!.until : null,
      reason: paused ? `Resend ${pause!.period} quota exceeded: ${pause!.message}` : null,
    },
    planner: { hourly: runOf(PLAN_RUN_KEYS.hourly), all: runOf(PLAN_RUN_KEYS.all) },
    sendingRefused: refused !== null && Date.parse(refused.until) > Date.now() ? refused : null,
  };
}

/**
 * The newest applied migration (wrangler and the test pool both record them in
 * d1_migrations). The version is the file's number (0004_… → 4), not the row id, which
 * only counts how many files were applied.
 */
export async function getSchemaVersion(db: D1Database): Promise<{ version: number; name: string } | null> {
  const row = await db
    .prepare('SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1')
    .first<{ name: string }>();
  return row ? { version: Number.parseInt(row.name, 10) || 0, name: row.name } : null;
}
