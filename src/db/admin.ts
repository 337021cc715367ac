/**
 * Read-only SQL behind the operator's views: the /admin dashboard (recent ingest runs per
 * source, recent editions with their delivery outcomes, webhook event counts, operational
 * flags such as the Resend quota pause) and the subscriber CSV export. The dashboard is
 * one batch whose counts come from the rows the triggers of migrations/0030 keep (a row
 * per edition, per event type and day, per reason): what it reads follows the days kept,
 * never the subscribers, digests or events counted; the export streams any number of
 * subscribers a keyset page per statement, in parts of bounded size.
 */
import type { IngestRun } from './ingest-runs';

export interface EditionSummary {
  id: string;
  frequency: string;
  period_key: string;
  planned_at: string;
  candidates: number;
  /** Queued or being sent (claimed by the queue consumer). */
  queued: number;
  sent: number;
  failed: number;
  skipped: number;
}

export interface AppStateEntry {
  key: string;
  value: unknown;
  updated_at: string;
}

export interface DashboardData {
  ingestRuns: IngestRun[];
  editions: EditionSummary[];
  /** Webhook events kept, by type (email.bounced, email.complained, ...), and those since `eventsSince`. */
  webhookEvents: { type: string; total: number; last7d: number }[];
  /** The UTC day 7 days ago (YYYY-MM-DD): `last7d` counts whole days, from its start. */
  eventsSince: string;
  /** Permanent bounces vs transient ones, from the stored payloads (any letter case, as suppression reads them). */
  bounces: { permanent: number; transient: number };
  suppressionsByReason: { reason: string; count: number }[];
  feedback: { up: number; down: number };
  appState: AppStateEntry[];
}

type IngestRunRow = Omit<IngestRun, 'errors'> & { errors: string };

/** The dashboard's data in one D1 round trip. `runsPerSource` runs of each source, newest first. */
export async function getDashboardData(
  db: D1Database,
  { runsPerSource = 5, editions = 10, now = new Date() } = {},
): Promise<DashboardData> {
  const eventsSince = new Date(now.getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
  const [runs, editionRows, events, bounces, suppressions, feedback, state] = await db.batch<unknown>([
    db
      .prepare(
        `SELECT * FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY source ORDER BY id DESC) AS rank FROM ingest_runs
         ) WHERE rank <= ? ORDER BY source, id DESC`,
      )
      .bind(runsPerSource),
    db
      .prepare(
        `SELECT e.id, e.frequency, e.period_key, e.planned_at, json_array_length(e.paper_ids) AS candidates,
                COALESCE(c.queued, 0) AS queued, COALESCE(c.sent, 0) AS sent,
                COALESCE(c.failed, 0) AS failed, COALESCE(c.skipped, 0) AS skipped
         FROM (SELECT id FROM editions ORDER BY planned_at DESC, id DESC LIMIT ?) AS newest
         JOIN editions e ON e.id = newest.id
         LEFT JOIN edition_deliveries c ON c.edition_id = e.id
         ORDER BY e.planned_at DESC, e.id DESC`,
      )
      .bind(editions),
    // Keys 'events:<type>:<YYYY-MM-DD>': the type is what lies between the prefix and the day.
    db
      .prepare(
        `SELECT substr(key, 8, length(key) - 18) AS type, SUM(n) AS total,
                SUM(CASE WHEN substr(key, -10) >= ? THEN n ELSE 0 END) AS last7d
         FROM counts WHERE key > 'events:' AND key < 'events;'
         GROUP BY 1 HAVING SUM(n) > 0 ORDER BY total DESC, type`,
      )
      .bind(eventsSince),
    db.prepare(
      `SELECT COALESCE(SUM(CASE key WHEN 'bounces:permanent' THEN n END), 0) AS permanent,
              COALESCE(SUM(CASE key WHEN 'bounces:transient' THEN n END), 0) AS transient
       FROM counts WHERE key IN ('bounces:permanent', 'bounces:transient')`,
    ),
    db.prepare(
      `SELECT substr(key, 14) AS reason, n AS count FROM counts
       WHERE key > 'suppressions:' AND key < 'suppressions;' AND n > 0 ORDER BY n DESC, reason`,
    ),
    db.prepare(
      `SELECT COALESCE(SUM(CASE key WHEN 'feedback:1' THEN n END), 0) AS up,
              COALESCE(SUM(CASE key WHEN 'feedback:-1' THEN n END), 0) AS down
       FROM counts WHERE key IN ('feedback:1', 'feedback:-1')`,
    ),
    db.prepare('SELECT key, value, updated_at FROM app_state ORDER BY key LIMIT 50'),
  ]);
  const rows = <T>(result: D1Result<unknown> | undefined) => (result?.results ?? []) as T[];
  return {
    ingestRuns: rows<IngestRunRow & { rank: number }>(runs).map(({ rank: _rank, ...row }) => ({
      ...row,
      errors: parseJson<string[]>(row.errors, []),
    })),
    editions: rows<EditionSummary>(editionRows),
    webhookEvents: rows<{ type: string; total: number; last7d: number }>(events),
    eventsSince,
    bounces: rows<{ permanent: number; transient: number }>(bounces)[0] ?? { permanent: 0, transient: 0 },
    suppressionsByReason: rows<{ reason: string; count: number }>(suppressions),
    feedback: rows<{ up: number; down: number }>(feedback)[0] ?? { up: 0, down: 0 },
    appState: rows<{ key: string; value: string; updated_at: string }>(state).map((row) => ({
      key: row.key,
      value: parseJson<unknown>(row.value, row.value),
      updated_at: row.updated_at,
    })),
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** One subscriber as the export shows it: preferences, lifecycle and consent, never secrets. */
export interface ExportedSubscriber {
  email: string;
  interests: string;
  frequency: string;
  send_hour: number;
  time_zone: string;
  status: string;
  send_weekday: number;
  digest_size: number;
  trending_mix: number;
  always_send: number;
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  suppressed_at: string | null;
  suppressed_reason: string | null;
  consent_at: string | null;
  consent_method: string | null;
  feedback_up: number;
  feedback_down: number;
  digests_sent: number;
  last_sent_at: string | null;
  id: string;
}

/**
 * The export's columns, in order: the sign-up's five first. An export can be re-imported,
 * with the settings after them (weekday, size, mix, always-send: import.ts CARRIED_SETTINGS).
 */
export const EXPORT_COLUMNS: readonly (keyof ExportedSubscriber)[] = [
  'email',
  'interests',
  'frequency',
  'send_hour',
  'time_zone',
  'status',
  'send_weekday',
  'digest_size',
  'trending_mix',
  'always_send',
  'created_at',
  'confirmed_at',
  'unsubscribed_at',
  'suppressed_at',
  'suppressed_reason',
  'consent_at',
  'consent_method',
  'feedback_up',
  'feedback_down',
  'digests_sent',
  'last_sent_at',
  'id',
];

export interface ExportCursor {
  createdAt: string;
  id: string;
}

/** Which subscribers an export part covers: after `after`, up to and including `until`, of `status`. */
export interface ExportRange {
  after?: ExportCursor;
  until?: ExportCursor;
  status?: string;
}

function exportWhere({ after, until, status }: ExportRange): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (after) {
    conditions.push('(s.created_at, s.id) > (?, ?)');
    params.push(after.createdAt, after.id);
  }
  if (until) {
    conditions.push('(s.created_at, s.id) <= (?, ?)');
    params.push(until.createdAt, until.id);
  }
  if (status) {
    // Filtered while walking subscribers_created (migrations/0016), which gives the page's
    // order: through a status index every page would read and sort the whole status.
    conditions.push('+s.status = ?');
    params.push(status);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/**
 * Where an export part of at most `rows` subscribers ends: the last subscriber it holds when
 * another follows, or null when the part runs to the end. One statement reading the part's
 * entries of subscribers_created, so a response can name the next part before it streams.
 */
export async function exportPartEnd(
  db: D1Database,
  range: Omit<ExportRange, 'until'>,
  rows: number,
): Promise<ExportCursor | null> {
  const { where, params } = exportWhere(range);
  const { results } = await db
    .prepare(
      `SELECT s.created_at, s.id FROM subscribers s ${where} ORDER BY s.created_at, s.id LIMIT 2 OFFSET ?`,
    )
    .bind(...params, rows - 1)
    .all<{ created_at: string; id: string }>();
  const [last, following] = results;
  return last && following ? { createdAt: last.created_at, id: last.id } : null;
}

/**
 * One page of the export in sign-up order, inside `range` (keyset pagination on the
 * subscribers_created index, so page N costs the same as page 1). Token versions, learned
 * term weights and consent IP hashes are deliberately not selected.
 */
export async function listSubscribersForExport(
  db: D1Database,
  { limit = 500, ...range }: ExportRange & { limit?: number },
): Promise<ExportedSubscriber[]> {
  const { where, params } = exportWhere(range);
  const { results } = await db
    .prepare(
      `SELECT s.email, s.interests, s.frequency, s.send_hour, s.time_zone, s.status, s.send_weekday,
              s.digest_size, s.trending_mix, s.always_send, s.created_at, s.confirmed_at,
              s.unsubscribed_at, s.suppressed_at, s.suppressed_reason, s.consent_at, s.consent_method,
              (SELECT COUNT(*) FROM feedback f WHERE f.subscriber_id = s.id AND f.vote = 1) AS feedback_up,
              (SELECT COUNT(*) FROM feedback f WHERE f.subscriber_id = s.id AND f.vote = -1) AS feedback_down,
              (SELECT COUNT(*) FROM deliveries d WHERE d.subscriber_id = s.id AND d.status = 'sent') AS digests_sent,
              (SELECT MAX(d.sent_at) FROM deliveries d WHERE d.subscriber_id = s.id AND d.status = 'sent') AS last_sent_at,
              s.id
       FROM subscribers s ${where}
       ORDER BY s.created_at, s.id
       LIMIT ?`,
    )
    .bind(...params, limit)
    .all<ExportedSubscriber>();
  return results;
}
