/**
 * SQL of the digest planner: who is due, writing queued deliveries (UNIQUE per subscriber
 * and period, so a period is never planned twice), the sweep that re-enqueues deliveries no
 * queue message carries any more, and the expiry of deliveries too old to be worth sending.
 */
import type { Frequency } from '../domain';
import { chunk } from './chunk';
import { GIVE_UP, ROWS_PER_STATEMENT, toJson } from './deliveries';

/**
 * The lease of the newest run of each kind in app_state, which also records its progress
 * for /admin/stats: clock runs (the hourly cron) and `all` runs never supersede each other.
 */
export const PLAN_RUN_KEYS = { hourly: 'planner_run', all: 'planner_run_all' } as const;

/** A run as its lease records it: what it has planned so far, and when it ran out of work. */
export interface PlanRunProgress {
  run: string;
  at: string;
  all: boolean;
  started: string;
  /** Steps completed (0 until the first one finishes). */
  step: number;
  planned: number;
  /** Null while it goes on over the plan queue, or if a step keeps failing (plan_step_failed). */
  finished: string | null;
}

/**
 * Adds a completed step to its run's record, only while that run still holds the lease:
 * a superseded run's last step must not overwrite the newer run's progress.
 */
export async function recordPlanStep(
  db: D1Database,
  key: string,
  run: string,
  step: number,
  planned: number,
  finished: string | null,
  now: string,
): Promise<void> {
  await db
    .prepare(
      `UPDATE app_state SET updated_at = ?6,
         value = json_set(value, '$.step', ?3, '$.planned', COALESCE(value->>'planned', 0) + ?4, '$.finished', ?5)
       WHERE key = ?1 AND value->>'run' = ?2`,
    )
    .bind(key, run, step, planned, finished, now)
    .run();
}

/** What the planner reads of a subscriber who may be due. */
export interface PlanCandidate {
  id: string;
  frequency: Frequency;
  sendHour: number;
  sendWeekday: number;
  timeZone: string;
  /** The stored next possible send instant ('' when nobody scheduled them yet). */
  nextSendAt: string;
}

interface PlanCandidateRow {
  id: string;
  frequency: Frequency;
  send_hour: number;
  send_weekday: number;
  time_zone: string;
  next_send_at: string;
}

const toCandidate = (row: PlanCandidateRow): PlanCandidate => ({
  id: row.id,
  frequency: row.frequency,
  sendHour: row.send_hour,
  sendWeekday: row.send_weekday,
  timeZone: row.time_zone,
  nextSendAt: row.next_send_at,
});

/**
 * Active subscribers whose next possible send instant has come (`next_send_at <= at`),
 * oldest first, one page: an index range scan (subscribers_next_send), so its cost follows
 * who may be due, not how many subscribers there are. '' (the column's default) sorts
 * first: a subscriber nobody scheduled yet is looked at by the next run.
 */
export async function listMaybeDue(db: D1Database, at: string, limit: number): Promise<PlanCandidate[]> {
  const { results } = await db
    .prepare(
      `SELECT id, frequency, send_hour, send_weekday, time_zone, next_send_at FROM subscribers
       WHERE status = 'active' AND next_send_at <= ?1
       ORDER BY next_send_at LIMIT ?2`,
    )
    .bind(at, limit)
    .all<PlanCandidateRow>();
  return results.map(toCandidate);
}

/**
 * Every active subscriber, by id after `afterId`, one page (the planner's `all` mode). The
 * page walks the primary key from `afterId` and stops at `limit` active rows: `+status`
 * keeps SQLite off the status indexes, through which each page read every active
 * subscriber and sorted them by id.
 */
export async function listActivePage(
  db: D1Database,
  afterId: string,
  limit: number,
): Promise<PlanCandidate[]> {
  const { results } = await db
    .prepare(
      `SELECT id, frequency, send_hour, send_weekday, time_zone, next_send_at FROM subscribers
       WHERE +status = 'active' AND id > ?1 ORDER BY id LIMIT ?2`,
    )
    .bind(afterId, limit)
    .all<PlanCandidateRow>();
  return results.map(toCandidate);
}

/** Which of these (subscriber, period) pairs already have a delivery, as `subscriber period` keys. */
export async function findPlannedPeriods(
  db: D1Database,
  pairs: { subscriberId: string; periodKey: string }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT d.subscriber_id, d.period_key FROM json_each(?1) AS pair
       JOIN deliveries d ON d.subscriber_id = pair.value->>'s' AND d.period_key = pair.value->>'p'`,
    )
    .bind(toJson(pairs.map((pair) => ({ s: pair.subscriberId, p: pair.periodKey }))))
    .all<{ subscriber_id: string; period_key: string }>();
  return new Set(results.map((row) => `${row.subscriber_id} ${row.period_key}`));
}

/**
 * Moves each subscriber's next possible send instant, only while they are still active and
 * their schedule is still the one it was computed from: a schedule changed during the run
 * reset the instant to '' (due at the next run), which an instant from the old schedule
 * must not overwrite.
 */
export function setNextSendAtStatements(
  db: D1Database,
  rows: { candidate: PlanCandidate; nextSendAt: string }[],
): D1PreparedStatement[] {
  return chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    db
      .prepare(
        `UPDATE subscribers SET next_send_at = next.at
         FROM (SELECT value->>'id' AS id, value->>'at' AS at, value->>'f' AS frequency, value->>'h' AS send_hour,
                      value->>'w' AS send_weekday, value->>'z' AS time_zone FROM json_each(?1)) AS next
         WHERE subscribers.id = next.id AND +subscribers.status = 'active'
           AND +subscribers.frequency = next.frequency AND +subscribers.send_hour = next.send_hour
           AND +subscribers.send_weekday = next.send_weekday AND +subscribers.time_zone = next.time_zone`,
      )
      .bind(
        toJson(
          part.map(({ candidate, nextSendAt }) => ({
            id: candidate.id,
            at: nextSendAt,
            f: candidate.frequency,
            h: candidate.sendHour,
            w: candidate.sendWeekday,
            z: candidate.timeZone,
          })),
        ),
      ),
  );
}

export interface NewDelivery {
  id: string;
  subscriberId: string;
  periodKey: string;
}

/**
 * Inserts queued deliveries for one edition; rows whose (subscriber, period) already has
 * one are ignored, so concurrent or repeated planner runs never plan a period twice. So are
 * rows of a subscriber who left (unsubscribed, or erased: the row is gone) since the step read
 * them: nothing would send them, and an erased id must not get new rows after its erasure
 * swept the old ones. Each statement returns the rows it actually inserted: only those may
 * be enqueued.
 */
export function insertQueuedDeliveriesStatements(
  db: D1Database,
  editionId: string,
  rows: NewDelivery[],
  now: string,
): D1PreparedStatement[] {
  return chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO deliveries
           (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at, enqueued_at)
         SELECT value->>'id', ?1, value->>'s', value->>'p', 'queued', ?2, ?2, ?2 FROM json_each(?3)
         WHERE EXISTS (SELECT 1 FROM subscribers WHERE id = value->>'s' AND status = 'active')
         RETURNING id, subscriber_id, period_key`,
      )
      .bind(
        editionId,
        now,
        toJson(part.map((row) => ({ id: row.id, s: row.subscriberId, p: row.periodKey }))),
      ),
  );
}

/** Rows an insert statement of `insertQueuedDeliveriesStatements` returned. */
export function insertedDeliveries(result: D1Result<unknown>): NewDelivery[] {
  return (result.results as { id: string; subscriber_id: string; period_key: string }[]).map((row) => ({
    id: row.id,
    subscriberId: row.subscriber_id,
    periodKey: row.period_key,
  }));
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
      // Two index ranges (parked, stale) rather than one OR, which would visit every pending row.
      `SELECT d.id, d.edition_id, d.subscriber_id, d.status, d.queued_at, e.frequency
       FROM (
         SELECT id, edition_id, subscriber_id, status, queued_at FROM deliveries
         WHERE status IN ('queued', 'sending') AND enqueued_at IS NULL
         UNION ALL
         SELECT id, edition_id, subscriber_id, status, queued_at FROM deliveries
         WHERE status IN ('queued', 'sending') AND enqueued_at < ?1
       ) AS d JOIN editions e ON e.id = d.edition_id
       LIMIT ?2`,
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

/**
 * Records that rows are on the queue since `now` (null: parked for the sweep); `requeue`
 * names the planner's requeue whose messages now carry them (kept when not given).
 */
export async function markEnqueued(
  db: D1Database,
  ids: string[],
  now: string | null,
  requeue?: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(
    chunk(ids, ROWS_PER_STATEMENT).map((part) =>
      db
        .prepare(
          `UPDATE deliveries SET enqueued_at = ?1, requeue_id = COALESCE(?3, requeue_id)
           WHERE id IN (SELECT value FROM json_each(?2)) AND +status IN ('queued', 'sending')`,
        )
        .bind(now, toJson(part), requeue ?? null),
    ),
  );
}

/**
 * Unfinished rows queued before `queuedBefore` (too late to be useful): failed with the
 * reason, at most `limit` per call (a long quota pause can leave many; later runs go on).
 * The old pending rows drive the search and each looks up its own edition (CROSS JOIN
 * keeps that order): `edition_id IN (SELECT … WHERE frequency = ?)` read every edition of
 * the frequency ever stored, thousands of rows a step after a year of hourly runs.
 */
export async function expireDeliveries(
  db: D1Database,
  frequency: Frequency,
  queuedBefore: string,
  reason: string,
  now: string,
  limit: number,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET ${GIVE_UP}
       WHERE id IN (
         SELECT d.id FROM deliveries d CROSS JOIN editions e ON e.id = d.edition_id
         WHERE d.status IN ('queued', 'sending') AND d.queued_at < ?3 AND e.frequency = ?4
         LIMIT ?5)`,
    )
    .bind(reason, now, queuedBefore, frequency, limit)
    .run();
  return result.meta.changes ?? 0;
}
