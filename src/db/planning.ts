/**
 * SQL of the digest planner: who is due, writing queued deliveries (UNIQUE per subscriber
 * and period, so a period is never planned twice), the sweep that re-enqueues deliveries no
 * queue message carries any more, and the expiry of deliveries too old to be worth sending.
 */
import type { Frequency } from '../domain';
import { chunk } from './chunk';
import { ROWS_PER_STATEMENT, toJson } from './deliveries';

/** Local calendar facts of one IANA zone at the planner's time. */
export interface ZoneClock {
  tz: string;
  date: string;
  hour: number;
  weekday: number;
  week: string;
}

export interface DueSubscriber {
  id: string;
  frequency: Frequency;
  periodKey: string;
}

export async function listActiveTimeZones(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT DISTINCT time_zone FROM subscribers WHERE status = 'active'`)
    .all<{ time_zone: string }>();
  return results.map((row) => row.time_zone);
}

/**
 * Active subscribers whose local send hour has come today (weekly: on their weekday) and
 * whose current period has no delivery yet. `all` ignores hour and weekday. One statement:
 * the per-zone clocks arrive as JSON, because SQLite cannot convert IANA zones itself.
 */
export async function listDueSubscribers(
  db: D1Database,
  clocks: ZoneClock[],
  all: boolean,
): Promise<DueSubscriber[]> {
  if (clocks.length === 0) return [];
  const { results } = await db
    .prepare(
      `WITH clock AS (
         SELECT value->>'tz' AS tz, value->>'date' AS local_date, value->>'hour' AS hour,
                value->>'weekday' AS weekday, value->>'week' AS week
         FROM json_each(?1)
       ),
       candidate AS (
         SELECT s.id, s.frequency,
                CASE s.frequency WHEN 'weekly' THEN clock.week ELSE clock.local_date END AS period_key
         FROM subscribers s JOIN clock ON clock.tz = s.time_zone
         WHERE s.status = 'active'
           AND (?2 = 1 OR (s.send_hour <= clock.hour
                           AND (s.frequency = 'daily' OR s.send_weekday = clock.weekday)))
       )
       SELECT id, frequency, period_key FROM candidate
       WHERE NOT EXISTS (
         SELECT 1 FROM deliveries d WHERE d.subscriber_id = candidate.id AND d.period_key = candidate.period_key
       )
       ORDER BY id`,
    )
    .bind(toJson(clocks), all ? 1 : 0)
    .all<{ id: string; frequency: Frequency; period_key: string }>();
  return results.map((row) => ({ id: row.id, frequency: row.frequency, periodKey: row.period_key }));
}

export interface NewDelivery {
  id: string;
  subscriberId: string;
  periodKey: string;
}

/**
 * Inserts queued deliveries for one edition; rows whose (subscriber, period) already has
 * one are ignored, so concurrent or repeated planner runs never plan a period twice.
 * Returns the rows actually inserted: only those may be enqueued.
 */
export async function insertQueuedDeliveries(
  db: D1Database,
  editionId: string,
  rows: NewDelivery[],
  now: string,
): Promise<NewDelivery[]> {
  if (rows.length === 0) return [];
  const results = await db.batch<{ id: string; subscriber_id: string; period_key: string }>(
    chunk(rows, ROWS_PER_STATEMENT).map((part) =>
      db
        .prepare(
          `INSERT OR IGNORE INTO deliveries
             (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at, enqueued_at)
           SELECT value->>'id', ?1, value->>'s', value->>'p', 'queued', ?2, ?2, ?2 FROM json_each(?3)
           RETURNING id, subscriber_id, period_key`,
        )
        .bind(
          editionId,
          now,
          toJson(part.map((row) => ({ id: row.id, s: row.subscriberId, p: row.periodKey }))),
        ),
    ),
  );
  return results.flatMap((result) =>
    result.results.map((row) => ({ id: row.id, subscriberId: row.subscriber_id, periodKey: row.period_key })),
  );
}

export interface PendingDelivery {
  id: string;
  editionId: string;
  subscriberId: string;
  status: 'queued' | 'sending';
  queuedAt: string;
  frequency: Frequency;
}

/**
 * Unfinished deliveries no queue message is known to carry: parked during a quota pause
 * (enqueued_at NULL) or last touched before `staleBefore` (their message was lost).
 */
export async function listOrphanedDeliveries(
  db: D1Database,
  staleBefore: string,
  limit: number,
): Promise<PendingDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.edition_id, d.subscriber_id, d.status, d.queued_at, e.frequency
       FROM deliveries d JOIN editions e ON e.id = d.edition_id
       WHERE d.status IN ('queued', 'sending') AND (d.enqueued_at IS NULL OR d.enqueued_at < ?)
       ORDER BY d.edition_id, d.subscriber_id
       LIMIT ?`,
    )
    .bind(staleBefore, limit)
    .all<{
      id: string;
      edition_id: string;
      subscriber_id: string;
      status: 'queued' | 'sending';
      queued_at: string;
      frequency: Frequency;
    }>();
  return results.map((row) => ({
    id: row.id,
    editionId: row.edition_id,
    subscriberId: row.subscriber_id,
    status: row.status,
    queuedAt: row.queued_at,
    frequency: row.frequency,
  }));
}

export async function markEnqueued(db: D1Database, ids: string[], now: string | null): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(
    chunk(ids, ROWS_PER_STATEMENT).map((part) =>
      db
        .prepare(
          `UPDATE deliveries SET enqueued_at = ?1
           WHERE id IN (SELECT value FROM json_each(?2)) AND status IN ('queued', 'sending')`,
        )
        .bind(now, toJson(part)),
    ),
  );
}

/** Unfinished rows queued before `queuedBefore` (too late to be useful): failed with the reason. */
export async function expireDeliveries(
  db: D1Database,
  frequency: Frequency,
  queuedBefore: string,
  reason: string,
  now: string,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries
       SET status = 'failed', error = ?1 || COALESCE(' (last error: ' || error || ')', ''),
           updated_at = ?2, enqueued_at = NULL
       WHERE status IN ('queued', 'sending') AND queued_at < ?3
         AND edition_id IN (SELECT id FROM editions WHERE frequency = ?4)`,
    )
    .bind(reason, now, queuedBefore, frequency)
    .run();
  return result.meta.changes ?? 0;
}
