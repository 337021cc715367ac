/**
 * SQL for deliveries (one row per subscriber per edition) and what each subscriber has
 * already received. The row's status is the exactly-once state machine of the sender:
 *   queued  → planned, nothing sent;
 *   sending → claimed under `send_key` (the Resend Idempotency-Key); the request may or may
 *             not have reached Resend, so a retry must replay that exact group with that key;
 *   sent / failed / skipped → final.
 * Multi-row reads and writes pass their ids as one JSON parameter (`json_each(?)`), so a
 * message of 100 subscribers costs a handful of statements whatever D1's 100-parameter limit.
 */

import type { Frequency } from '../domain';
import { chunk } from './chunk';

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

/** What the ranker chose for a delivery, kept so a replay renders the same email. */
export interface RankingSnapshot {
  id: string;
  score: number;
  why: string[];
}

export interface Delivery {
  id: string;
  editionId: string;
  subscriberId: string;
  periodKey: string;
  status: DeliveryStatus;
  subject: string | null;
  paperIds: string[];
  resendId: string | null;
  error: string | null;
  attempts: number;
  lastEvent: string | null;
  queuedAt: string;
  sentAt: string | null;
  updatedAt: string;
  sendKey: string | null;
  ranking: RankingSnapshot[] | null;
  enqueuedAt: string | null;
}

interface DeliveryRow {
  id: string;
  edition_id: string;
  subscriber_id: string;
  period_key: string;
  status: DeliveryStatus;
  subject: string | null;
  paper_ids: string;
  resend_id: string | null;
  error: string | null;
  attempts: number;
  last_event: string | null;
  queued_at: string;
  sent_at: string | null;
  updated_at: string;
  send_key: string | null;
  ranking: string | null;
  enqueued_at: string | null;
}

const fromRow = (row: DeliveryRow): Delivery => ({
  id: row.id,
  editionId: row.edition_id,
  subscriberId: row.subscriber_id,
  periodKey: row.period_key,
  status: row.status,
  subject: row.subject,
  paperIds: JSON.parse(row.paper_ids) as string[],
  resendId: row.resend_id,
  error: row.error,
  attempts: row.attempts,
  lastEvent: row.last_event,
  queuedAt: row.queued_at,
  sentAt: row.sent_at,
  updatedAt: row.updated_at,
  sendKey: row.send_key,
  ranking: row.ranking ? (JSON.parse(row.ranking) as RankingSnapshot[]) : null,
  enqueuedAt: row.enqueued_at,
});

const json = (value: unknown) => JSON.stringify(value);
/** Rows per multi-row statement: keeps each JSON parameter well under D1's size limits. */
const ROWS_PER_STATEMENT = 500;

// ---------------------------------------------------------------------------------------
// Planner

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
    .bind(json(clocks), all ? 1 : 0)
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
          json(part.map((row) => ({ id: row.id, s: row.subscriberId, p: row.periodKey }))),
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
        .bind(now, json(part)),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Consumer

export async function getMessageDeliveries(
  db: D1Database,
  editionId: string,
  subscriberIds: string[],
): Promise<Delivery[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM deliveries
       WHERE edition_id = ?1 AND subscriber_id IN (SELECT value FROM json_each(?2))
       ORDER BY subscriber_id`,
    )
    .bind(editionId, json(subscriberIds))
    .all<DeliveryRow>();
  return results.map(fromRow);
}

/** Every delivery still claimed under one of these keys (a group may span messages). */
export async function getSendingBySendKeys(db: D1Database, keys: string[]): Promise<Delivery[]> {
  if (keys.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT * FROM deliveries
       WHERE send_key IN (SELECT value FROM json_each(?1)) AND status = 'sending'
       ORDER BY send_key, id`,
    )
    .bind(json(keys))
    .all<DeliveryRow>();
  return results.map(fromRow);
}

/** Paper ids each subscriber has already received, restricted to the given candidates. */
export async function getSentPaperIds(
  db: D1Database,
  subscriberIds: string[],
  paperIds: string[],
): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>();
  if (subscriberIds.length === 0 || paperIds.length === 0) return sent;
  const { results } = await db
    .prepare(
      `SELECT subscriber_id, paper_id FROM sent_papers
       WHERE subscriber_id IN (SELECT value FROM json_each(?1))
         AND paper_id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(json(subscriberIds), json(paperIds))
    .all<{ subscriber_id: string; paper_id: string }>();
  for (const row of results) {
    const set = sent.get(row.subscriber_id) ?? new Set<string>();
    set.add(row.paper_id);
    sent.set(row.subscriber_id, set);
  }
  return sent;
}

/** For each subscriber, the window end of the newest edition actually sent to them. */
export async function getLastSentWindowEnds(
  db: D1Database,
  subscriberIds: string[],
  excludeEditionId: string,
): Promise<Map<string, string>> {
  if (subscriberIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT d.subscriber_id, MAX(e.window_end) AS last_end
       FROM deliveries d JOIN editions e ON e.id = d.edition_id
       WHERE d.subscriber_id IN (SELECT value FROM json_each(?1)) AND d.status = 'sent' AND d.edition_id <> ?2
       GROUP BY d.subscriber_id`,
    )
    .bind(json(subscriberIds), excludeEditionId)
    .all<{ subscriber_id: string; last_end: string }>();
  return new Map(results.map((row) => [row.subscriber_id, row.last_end]));
}

export interface SkipDecision {
  id: string;
  reason: string;
}

export async function markSkipped(db: D1Database, skips: SkipDecision[], now: string): Promise<void> {
  if (skips.length === 0) return;
  await db.batch(
    chunk(skips, ROWS_PER_STATEMENT).map((part) =>
      db
        .prepare(
          `UPDATE deliveries SET status = 'skipped', error = skip.reason, updated_at = ?1, enqueued_at = NULL
           FROM (SELECT value->>'id' AS id, value->>'reason' AS reason FROM json_each(?2)) AS skip
           WHERE deliveries.id = skip.id AND deliveries.status = 'queued'`,
        )
        .bind(now, json(part)),
    ),
  );
}

export interface Claim {
  id: string;
  subject: string;
  ranking: RankingSnapshot[];
}

/**
 * Atomically moves queued rows to `sending` under one idempotency key, storing what will be
 * sent. Returns the ids actually claimed (another consumer may have taken some first).
 */
export async function claimDeliveries(
  db: D1Database,
  sendKey: string,
  claims: Claim[],
  now: string,
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `UPDATE deliveries
       SET status = 'sending', send_key = ?1, subject = claim.subject, paper_ids = claim.paper_ids,
           ranking = claim.ranking, attempts = attempts + 1, error = NULL, updated_at = ?2, enqueued_at = ?2
       FROM (SELECT value->>'id' AS id, value->>'subject' AS subject, value->>'paper_ids' AS paper_ids,
                    value->>'ranking' AS ranking FROM json_each(?3)) AS claim
       WHERE deliveries.id = claim.id AND deliveries.status = 'queued'
       RETURNING deliveries.id`,
    )
    .bind(
      sendKey,
      now,
      json(
        claims.map((claim) => ({
          id: claim.id,
          subject: claim.subject,
          paper_ids: json(claim.ranking.map((item) => item.id)),
          ranking: json(claim.ranking),
        })),
      ),
    )
    .all<{ id: string }>();
  return new Set(results.map((row) => row.id));
}

/** Re-keys a partially claimed group so its key names exactly the rows it holds. */
export async function renameSendKey(db: D1Database, from: string, to: string): Promise<void> {
  await db
    .prepare(`UPDATE deliveries SET send_key = ?2 WHERE send_key = ?1 AND status = 'sending'`)
    .bind(from, to)
    .run();
}

/** Counts one more request for a group being replayed. */
export async function countAttempt(db: D1Database, sendKey: string, now: string): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET attempts = attempts + 1, updated_at = ?2, enqueued_at = ?2
       WHERE send_key = ?1 AND status = 'sending'`,
    )
    .bind(sendKey, now)
    .run();
}

export interface SentDelivery {
  id: string;
  subscriberId: string;
  resendId: string | null;
  paperIds: string[];
}

/**
 * Final bookkeeping of an accepted request in one transaction: the rows become `sent` with
 * their Resend ids and the papers join the subscriber's history. Idempotent.
 */
export async function markSent(
  db: D1Database,
  sent: SentDelivery[],
  now: string,
  note: string | null = null,
): Promise<void> {
  if (sent.length === 0) return;
  const statements: D1PreparedStatement[] = [];
  for (const part of chunk(sent, ROWS_PER_STATEMENT)) {
    statements.push(
      db
        .prepare(
          `UPDATE deliveries
           SET status = 'sent', resend_id = COALESCE(done.resend_id, deliveries.resend_id), sent_at = ?1,
               updated_at = ?1, error = ?2, enqueued_at = NULL
           FROM (SELECT value->>'id' AS id, value->>'resend_id' AS resend_id FROM json_each(?3)) AS done
           WHERE deliveries.id = done.id AND deliveries.status IN ('queued', 'sending', 'failed')`,
        )
        .bind(now, note, json(part.map((item) => ({ id: item.id, resend_id: item.resendId })))),
    );
  }
  const papers = sent.flatMap((item) =>
    item.paperIds.map((paperId) => ({ s: item.subscriberId, p: paperId, d: item.id })),
  );
  for (const part of chunk(papers, 1000)) {
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO sent_papers (subscriber_id, paper_id, delivery_id, sent_at)
           SELECT value->>'s', value->>'p', value->>'d', ?1 FROM json_each(?2)`,
        )
        .bind(now, json(part)),
    );
  }
  await db.batch(statements);
}

/** Final failure of a group; the reason is what an operator reads in the row. */
export async function markFailed(db: D1Database, ids: string[], reason: string, now: string): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(
    chunk(ids, ROWS_PER_STATEMENT).map((part) =>
      db
        .prepare(
          `UPDATE deliveries SET status = 'failed', error = ?1, updated_at = ?2, enqueued_at = NULL
           WHERE id IN (SELECT value FROM json_each(?3)) AND status IN ('queued', 'sending')`,
        )
        .bind(reason, now, json(part)),
    ),
  );
}

/** A transient failure: the group stays claimed (the retry replays it); the error is kept for operators. */
export async function noteTransientFailure(
  db: D1Database,
  sendKey: string,
  error: string,
  now: string,
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET error = ?2, updated_at = ?3, enqueued_at = ?3 WHERE send_key = ?1 AND status = 'sending'`,
    )
    .bind(sendKey, error, now)
    .run();
}

/**
 * Resend refused the whole request without sending anything (quota): the group goes back
 * to `queued` (a later claim gets a fresh key) and is parked for the planner to re-enqueue.
 */
export async function releaseClaim(
  db: D1Database,
  sendKey: string,
  note: string,
  now: string,
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'queued', send_key = NULL, error = ?2, updated_at = ?3, enqueued_at = NULL
       WHERE send_key = ?1 AND status = 'sending'`,
    )
    .bind(sendKey, note, now)
    .run();
}

/** Leaves a message's unfinished rows to the planner's re-enqueue sweep (quota pause). */
export async function parkDeliveries(
  db: D1Database,
  editionId: string,
  subscriberIds: string[],
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET enqueued_at = NULL
       WHERE edition_id = ?1 AND subscriber_id IN (SELECT value FROM json_each(?2))
         AND status IN ('queued', 'sending')`,
    )
    .bind(editionId, json(subscriberIds))
    .run();
  return result.meta.changes ?? 0;
}

/** The dead-letter queue gave up on a message: its unfinished rows become failed. */
export async function failUnfinished(
  db: D1Database,
  editionId: string,
  subscriberIds: string[],
  reason: string,
  now: string,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries
       SET status = 'failed', error = ?1 || COALESCE(' (last error: ' || error || ')', ''),
           updated_at = ?2, enqueued_at = NULL
       WHERE edition_id = ?3 AND subscriber_id IN (SELECT value FROM json_each(?4))
         AND status IN ('queued', 'sending')`,
    )
    .bind(reason, now, editionId, json(subscriberIds))
    .run();
  return result.meta.changes ?? 0;
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

// ---------------------------------------------------------------------------------------
// Webhooks

export async function findDeliveryForEvent(
  db: D1Database,
  deliveryId: string | null,
  resendId: string | null,
): Promise<Delivery | null> {
  if (deliveryId) {
    const row = await db
      .prepare('SELECT * FROM deliveries WHERE id = ?')
      .bind(deliveryId)
      .first<DeliveryRow>();
    if (row) return fromRow(row);
  }
  if (resendId) {
    const row = await db
      .prepare('SELECT * FROM deliveries WHERE resend_id = ? LIMIT 1')
      .bind(resendId)
      .first<DeliveryRow>();
    if (row) return fromRow(row);
  }
  return null;
}

export async function getDelivery(db: D1Database, id: string): Promise<Delivery | null> {
  const row = await db.prepare('SELECT * FROM deliveries WHERE id = ?').bind(id).first<DeliveryRow>();
  return row ? fromRow(row) : null;
}

/**
 * Records a webhook event on its delivery, newest event wins (events can arrive out of
 * order). An event about an email proves it left Resend, so a row whose answer we lost
 * (still `sending`, or failed by the dead-letter queue) becomes `sent` with the id.
 */
export function recordDeliveryEventStatement(
  db: D1Database,
  deliveryId: string,
  eventType: string,
  eventAt: string,
  resendId: string | null,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries
       SET last_event = CASE WHEN last_event_at IS NULL OR last_event_at <= ?3 THEN ?2 ELSE last_event END,
           last_event_at = CASE WHEN last_event_at IS NULL OR last_event_at <= ?3 THEN ?3 ELSE last_event_at END,
           resend_id = COALESCE(resend_id, ?4),
           status = CASE WHEN status IN ('sending', 'failed') AND ?4 IS NOT NULL THEN 'sent' ELSE status END,
           sent_at = CASE WHEN status IN ('sending', 'failed') AND ?4 IS NOT NULL THEN COALESCE(sent_at, ?3) ELSE sent_at END,
           updated_at = ?5
       WHERE id = ?1`,
    )
    .bind(deliveryId, eventType, eventAt, resendId, now);
}

/** A suppressed subscriber must get nothing more: their unsent deliveries are skipped. */
export function skipUnsentForSubscriberStatement(
  db: D1Database,
  subscriberId: string,
  reason: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'skipped', error = ?2, updated_at = ?3, enqueued_at = NULL
       WHERE subscriber_id = ?1 AND status = 'queued'`,
    )
    .bind(subscriberId, reason, now);
}

// ---------------------------------------------------------------------------------------
// Pacing: one shared "next free send slot" for every consumer, in app_state.

const PACER_KEY = 'resend_next_slot_ms';

/** D1's own clock in epoch ms: unlike Date.now() in a Worker, it does not stand still during CPU work. */
const DB_NOW_MS = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

/**
 * Reserves the next request slot at least `intervalMs` after the previous one and returns
 * it (epoch ms). One atomic upsert, so concurrent consumers never get the same slot. "Now"
 * is read inside the statement: a Worker's Date.now() only advances on I/O, so after a
 * long render it lags, which would let two requests bunch up.
 */
export async function reserveSendSlot(db: D1Database, intervalMs: number, notBeforeMs = 0): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?1, CAST(MAX(${DB_NOW_MS}, ?4) AS TEXT), ?2)
       ON CONFLICT (key) DO UPDATE
         SET value = CAST(MAX(CAST(app_state.value AS INTEGER) + ?3, ${DB_NOW_MS}, ?4) AS TEXT), updated_at = ?2
       RETURNING CAST(value AS INTEGER) AS slot`,
    )
    .bind(PACER_KEY, new Date().toISOString(), intervalMs, Math.round(notBeforeMs))
    .first<{ slot: number }>();
  return row?.slot ?? Date.now();
}

/** After a 429, nobody sends before `notBeforeMs` (the slot after it is one interval later). */
export async function deferSendSlots(db: D1Database, notBeforeMs: number, intervalMs: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?1, CAST(?2 AS TEXT), ?3)
       ON CONFLICT (key) DO UPDATE
         SET value = CAST(MAX(CAST(app_state.value AS INTEGER), ?2) AS TEXT), updated_at = ?3`,
    )
    .bind(PACER_KEY, notBeforeMs - intervalMs, new Date().toISOString())
    .run();
}
