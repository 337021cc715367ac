/**
 * SQL for the subscribers table: row mapping and lookups shared by every area. Addresses
 * are compared by lower(email), the expression the UNIQUE index is built on (migration
 * 0005), so a lookup can never miss a row that differs only in letter case.
 */

import type { Frequency, Subscriber, SubscriberStatus } from '../domain';
import { chunk, D1_MAX_PARAMS, placeholders } from './chunk';
import { erasureStatement, erasureStepStatements } from './erasure';

export interface SubscriberRow {
  id: string;
  email: string;
  status: SubscriberStatus;
  interests: string;
  /** JSON array of the arXiv categories in interests; NULL = stored before migrations/0017. */
  categories: string | null;
  frequency: Frequency;
  send_hour: number;
  send_weekday: number;
  time_zone: string;
  digest_size: number;
  trending_mix: number;
  always_send: number;
  term_weights: string;
  token_version: number;
  created_at: string;
  updated_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  suppressed_at: string | null;
  suppressed_reason: string | null;
  consent_at: string | null;
  consent_method: string | null;
  consent_ip_hash: string | null;
  /** Planner index: next possible send instant (UTC ISO), '' = look at the next run. */
  next_send_at: string;
}

export function rowToSubscriber(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    email: row.email,
    status: row.status,
    interests: row.interests,
    frequency: row.frequency,
    sendHour: row.send_hour,
    sendWeekday: row.send_weekday,
    timeZone: row.time_zone,
    digestSize: row.digest_size,
    trendingMix: row.trending_mix,
    alwaysSend: row.always_send === 1,
    termWeights: JSON.parse(row.term_weights) as Record<string, number>,
    tokenVersion: row.token_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    confirmedAt: row.confirmed_at,
    unsubscribedAt: row.unsubscribed_at,
    suppressedAt: row.suppressed_at,
    suppressedReason: row.suppressed_reason,
    consentAt: row.consent_at,
    consentMethod: row.consent_method,
    consentIpHash: row.consent_ip_hash,
  };
}

export async function getSubscriberById(db: D1Database, id: string): Promise<Subscriber | null> {
  const row = await db.prepare('SELECT * FROM subscribers WHERE id = ?').bind(id).first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

/** The subscriber with this address, whatever its letter case. */
export async function getSubscriberByEmail(db: D1Database, email: string): Promise<Subscriber | null> {
  const row = await db
    .prepare('SELECT * FROM subscribers WHERE lower(email) = lower(?)')
    .bind(email)
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

/** A signed link's subscriber, and the versions of the merged-away id the link named, if any. */
export interface LinkSubscriber {
  subscriber: Subscriber;
  alias: { tokenVersion: number; subscriberTokenVersion: number } | null;
}

/**
 * The subscriber a signed link names. Ids merged away by migration 0005 (same address,
 * other letter case) resolve to the subscriber they became, with the versions recorded at
 * the merge, so links in mail already sent to them keep working until the next bump.
 */
export async function getSubscriberForLink(db: D1Database, id: string): Promise<LinkSubscriber | null> {
  const direct = await getSubscriberById(db, id);
  if (direct) return { subscriber: direct, alias: null };
  const row = await db
    .prepare(
      `SELECT s.*, a.alias_token_version, a.subscriber_token_version FROM subscriber_aliases a
       JOIN subscribers s ON s.id = a.subscriber_id WHERE a.alias_id = ?`,
    )
    .bind(id)
    .first<SubscriberRow & { alias_token_version: number; subscriber_token_version: number }>();
  if (!row) return null;
  return {
    subscriber: rowToSubscriber(row),
    alias: { tokenVersion: row.alias_token_version, subscriberTokenVersion: row.subscriber_token_version },
  };
}

/** Loads subscribers by id in chunks of 100 bound parameters, in one D1 round trip. */
export async function getSubscribersByIds(db: D1Database, ids: string[]): Promise<Subscriber[]> {
  if (ids.length === 0) return [];
  const results = await db.batch<SubscriberRow>(
    chunk(ids, D1_MAX_PARAMS).map((part) =>
      db.prepare(`SELECT * FROM subscribers WHERE id IN (${placeholders(part.length)})`).bind(...part),
    ),
  );
  return results.flatMap((result) => result.results).map(rowToSubscriber);
}

/** What the arXiv ingest needs to know which categories active subscribers follow. */
export interface FollowedCategories {
  /** Distinct categories of the rows whose categories are stored. */
  categories: string[];
  /** Distinct interests texts of rows stored before migrations/0017, for the caller to parse. */
  legacyInterests: string[];
}

/**
 * The categories active subscribers follow, in one round trip. Both statements read the
 * partial index subscribers_categories (migrations/0017), which leaves out the many
 * subscribers who follow no category, so at a million subscribers the Worker receives a
 * few hundred category strings instead of every interests text. Each WHERE repeats a term
 * of the index's WHERE, which is what lets SQLite use a partial index.
 */
export async function listFollowedCategories(db: D1Database): Promise<FollowedCategories> {
  const [stored, legacy] = await db.batch<Record<string, string>>([
    db.prepare(
      `SELECT DISTINCT c.value AS category FROM subscribers s, json_each(s.categories) c
       WHERE s.status = 'active' AND s.categories <> '[]'`,
    ),
    // Bounded: right after the migration every row is NULL, and a million texts would not
    // fit the Worker; the housekeeping backfill empties this set a page a night.
    db
      .prepare(
        `SELECT DISTINCT interests FROM subscribers
         WHERE status = 'active' AND categories IS NULL AND interests <> '' LIMIT ?`,
      )
      .bind(LEGACY_INTERESTS_LIMIT),
  ]);
  return {
    categories: (stored?.results ?? []).map((row) => row.category!),
    legacyInterests: (legacy?.results ?? []).map((row) => row.interests!),
  };
}

/** At most this many texts stored before migrations/0017 are read per listing (see below). */
export const LEGACY_INTERESTS_LIMIT = 10_000;

/**
 * Active subscribers stored before migrations/0017 (categories NULL), a page of them for
 * the housekeeping backfill (src/subscriptions/housekeeping.ts) to parse and store.
 */
export async function listUncategorised(
  db: D1Database,
  limit: number,
): Promise<{ id: string; interests: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT id, interests FROM subscribers
       WHERE status = 'active' AND categories IS NULL LIMIT ?`,
    )
    .bind(limit)
    .all<{ id: string; interests: string }>();
  return results;
}

/**
 * Stores the categories parsed from rows read by `listUncategorised`, 1,000 rows a
 * statement (one JSON parameter each, joined by primary key: linear, not a JSON scan per
 * row). A row whose categories were written meanwhile (its interests changed) keeps them:
 * only NULL is filled.
 */
export async function fillCategories(
  db: D1Database,
  rows: readonly { id: string; categories: string[] }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.batch(
    chunk(rows, 1_000).map((part) =>
      db
        .prepare(
          `UPDATE subscribers SET categories = parsed.categories
           FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.categories') AS categories
                 FROM json_each(?1)) AS parsed
           WHERE subscribers.id = parsed.id AND subscribers.categories IS NULL`,
        )
        .bind(JSON.stringify(part)),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Subscriber life cycle (subscriptions area). Every state change is one conditional UPDATE
// that checks the token version and the current status in its WHERE clause, so a replayed
// or concurrent request changes nothing instead of racing a read-then-write.
// ---------------------------------------------------------------------------------------

export interface SignupFields {
  email: string;
  interests: string;
  /** The arXiv categories in interests (categoriesOf), stored beside them. */
  categories: string[];
  frequency: Frequency;
  sendHour: number;
  timeZone: string;
  sendWeekday: number;
}

/** Creates a pending subscriber; null when the address exists already, in any letter case. */
export async function insertPendingSubscriber(
  db: D1Database,
  id: string,
  fields: SignupFields,
  consentMethod: string,
  now: string,
): Promise<Subscriber | null> {
  const row = await db
    .prepare(
      `INSERT INTO subscribers (id, email, status, interests, categories, frequency, send_hour, time_zone,
         send_weekday, created_at, updated_at, consent_method)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING
       RETURNING *`,
    )
    .bind(
      id,
      fields.email,
      fields.interests,
      JSON.stringify(fields.categories),
      fields.frequency,
      fields.sendHour,
      fields.timeZone,
      fields.sendWeekday,
      now,
      now,
      consentMethod,
    )
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

/** Settings a confirmation applies: those asked for with the sign-up, absent = keep. */
export interface ConfirmSettings {
  interests?: string;
  /** With interests: their arXiv categories (categoriesOf). Absent with interests = recompute later (NULL). */
  categories?: string[];
  frequency?: Frequency;
  sendHour?: number;
  timeZone?: string;
  sendWeekday?: number;
  consentMethod?: string;
}

/**
 * Double opt-in: pending (or unsubscribed, after a fresh sign-up) → active, consent recorded,
 * the sign-up's settings applied. Bumps token_version so the confirmation link is
 * single-use and any older link dies. Null when the version or status no longer match
 * (replayed or raced confirmation). next_send_at = '': the next planner run schedules
 * them (every activation does this).
 */
export async function confirmSubscriber(
  db: D1Database,
  id: string,
  tokenVersion: number,
  settings: ConfirmSettings,
  consentIpHash: string | null,
  now: string,
): Promise<Subscriber | null> {
  const row = await db
    .prepare(
      `UPDATE subscribers SET status = 'active', confirmed_at = ?1, consent_at = ?1, consent_ip_hash = ?2,
         consent_method = COALESCE(?3, consent_method, 'form'), unsubscribed_at = NULL,
         interests = COALESCE(?4, interests),
         categories = CASE WHEN ?4 IS NULL THEN categories ELSE ?10 END, frequency = COALESCE(?5, frequency),
         send_hour = COALESCE(?6, send_hour), time_zone = COALESCE(?7, time_zone),
         send_weekday = COALESCE(?11, send_weekday),
         token_version = token_version + 1, updated_at = ?1, next_send_at = ''
       WHERE id = ?8 AND token_version = ?9 AND status IN ('pending', 'unsubscribed')
       RETURNING *`,
    )
    .bind(
      now,
      consentIpHash,
      settings.consentMethod ?? null,
      settings.interests ?? null,
      settings.frequency ?? null,
      settings.sendHour ?? null,
      settings.timeZone ?? null,
      id,
      tokenVersion,
      settings.categories ? JSON.stringify(settings.categories) : null,
      settings.sendWeekday ?? null,
    )
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

/**
 * active/pending → unsubscribed; null when already unsubscribed or suppressed (idempotent).
 * Whatever the token version: an unsubscribe link of any version unsubscribes, so the
 * version read when the link was opened must not decide the write (a confirmation bumping
 * it in between left the subscription active under an "unsubscribed" answer).
 */
export async function unsubscribeSubscriber(
  db: D1Database,
  id: string,
  now: string,
): Promise<Subscriber | null> {
  const row = await db
    .prepare(
      `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('active', 'pending')
       RETURNING *`,
    )
    .bind(now, now, id)
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

export interface PreferenceFields {
  interests: string;
  /** The arXiv categories in interests (categoriesOf), stored beside them. */
  categories: string[];
  frequency: Frequency;
  sendHour: number;
  sendWeekday: number;
  timeZone: string;
  digestSize: number;
  trendingMix: number;
  alwaysSend: boolean;
}

/**
 * A schedule change is picked up by the next planner run (next_send_at = ''). Only an
 * active subscription is changed: the link was checked before, but an unsubscribe (or a
 * bounce) landing in between must not be answered "saved" over a subscription that ended.
 * Null when the version or status no longer match.
 */
export async function updatePreferences(
  db: D1Database,
  id: string,
  tokenVersion: number,
  fields: PreferenceFields,
  now: string,
): Promise<Subscriber | null> {
  const row = await db
    .prepare(
      `UPDATE subscribers SET interests = ?, categories = ?, frequency = ?, send_hour = ?, send_weekday = ?, time_zone = ?,
         digest_size = ?, trending_mix = ?, always_send = ?, updated_at = ?, next_send_at = ''
       WHERE id = ? AND token_version = ? AND status = 'active'
       RETURNING *`,
    )
    .bind(
      fields.interests,
      JSON.stringify(fields.categories),
      fields.frequency,
      fields.sendHour,
      fields.sendWeekday,
      fields.timeZone,
      fields.digestSize,
      fields.trendingMix,
      fields.alwaysSend ? 1 : 0,
      now,
      id,
      tokenVersion,
    )
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
}

/** What an operator's look-up shows of a subscriber: settings and life cycle, no secrets. */
export type SubscriberSummary = Pick<
  SubscriberRow,
  | 'id'
  | 'email'
  | 'status'
  | 'interests'
  | 'frequency'
  | 'send_hour'
  | 'send_weekday'
  | 'time_zone'
  | 'digest_size'
  | 'created_at'
  | 'confirmed_at'
  | 'unsubscribed_at'
  | 'suppressed_at'
  | 'suppressed_reason'
  | 'consent_at'
  | 'consent_method'
>;

/**
 * The subscriber with this address, whatever its letter case, as an operator may see it:
 * token versions, learned weights and consent IP hashes are deliberately not selected.
 */
export async function getSubscriberSummary(db: D1Database, email: string): Promise<SubscriberSummary | null> {
  return db
    .prepare(
      `SELECT id, email, status, interests, frequency, send_hour, send_weekday, time_zone, digest_size,
         created_at, confirmed_at, unsubscribed_at, suppressed_at, suppressed_reason, consent_at, consent_method
       FROM subscribers WHERE lower(email) = lower(?)`,
    )
    .bind(email)
    .first<SubscriberSummary>();
}

/** A subscriber's deliveries still kept, by status, and when the last was sent (an operator's look-up). */
export interface DeliveryCounts {
  byStatus: Record<'queued' | 'sending' | 'sent' | 'failed' | 'skipped', number>;
  lastSentAt: string | null;
}

export async function countDeliveries(db: D1Database, subscriberId: string): Promise<DeliveryCounts> {
  // One range of the (subscriber_id, edition_id) unique index: a few hundred rows a year.
  const { results } = await db
    .prepare(
      `SELECT status, COUNT(*) AS n, MAX(sent_at) AS last_sent_at FROM deliveries
       WHERE subscriber_id = ? GROUP BY status`,
    )
    .bind(subscriberId)
    .all<{ status: keyof DeliveryCounts['byStatus']; n: number; last_sent_at: string | null }>();
  const counts: DeliveryCounts = {
    byStatus: { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 },
    lastSentAt: null,
  };
  for (const row of results) {
    counts.byStatus[row.status] = row.n;
    if (row.status === 'sent') counts.lastSentAt = row.last_sent_at;
  }
  return counts;
}

/**
 * An operator lifted the suppression of this address: a suppressed row becomes
 * unsubscribed (never active: the person signs up and confirms again to get digests) with
 * its token version bumped, so no link mailed before, a confirmation link among them, can
 * revive it. Only a row suppressed for one of `reasons` (or for no recorded reason) is
 * changed, so a complaint lifted without being named stays in force.
 */
export function liftSuppressedSubscriberStatement(
  db: D1Database,
  email: string,
  reasons: string[],
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?1, suppressed_at = NULL,
         suppressed_reason = NULL, token_version = token_version + 1, updated_at = ?1
       WHERE lower(email) = lower(?2) AND status = 'suppressed'
         AND (suppressed_reason IS NULL OR suppressed_reason IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(now, email, JSON.stringify(reasons));
}

/**
 * Everything stored about a subscriber besides their row, for "export my data": what
 * `eraseSubscriberData` deletes, read the same ways (webhook events by lower(recipient),
 * one range of webhook_events_recipient). Legacy sent_papers rows are not read: the
 * deliveries' paper lists are the record, and retention deletes those rows.
 */
export async function getSubscriberActivity(
  db: D1Database,
  subscriber: { id: string; email: string },
): Promise<{
  deliveries: Record<string, unknown>[];
  feedback: Record<string, unknown>[];
  mailRequests: Record<string, unknown>[];
  webhookEvents: Record<string, unknown>[];
  aliases: Record<string, unknown>[];
}> {
  const { id } = subscriber;
  const [deliveries, feedback, mailRequests, webhookEvents, aliases] = await db.batch<
    Record<string, unknown>
  >([
    db
      .prepare(
        `SELECT id, edition_id, period_key, status, subject, paper_ids, ranking, resend_id, error, last_event,
           last_event_at, queued_at, sent_at
         FROM deliveries WHERE subscriber_id = ? ORDER BY queued_at`,
      )
      .bind(id),
    db
      .prepare('SELECT paper_id, vote, created_at FROM feedback WHERE subscriber_id = ? ORDER BY created_at')
      .bind(id),
    db
      .prepare(
        'SELECT kind, settings, created_at, used_at FROM mail_requests WHERE subscriber_id = ? ORDER BY created_at',
      )
      .bind(id),
    db
      .prepare(
        `SELECT type, email_id, recipient, payload, received_at FROM webhook_events
         WHERE lower(recipient) = lower(?) ORDER BY received_at`,
      )
      .bind(subscriber.email),
    db
      .prepare(
        'SELECT alias_id AS id, merged_at FROM subscriber_aliases WHERE subscriber_id = ? ORDER BY merged_at',
      )
      .bind(id),
  ]);
  return {
    deliveries: deliveries?.results ?? [],
    feedback: feedback?.results ?? [],
    mailRequests: mailRequests?.results ?? [],
    webhookEvents: webhookEvents?.results ?? [],
    aliases: aliases?.results ?? [],
  };
}

/**
 * "Delete me", in one batch (one transaction), so a failure leaves nothing half-erased:
 * removes the row and everything that names the person (mail requests, merged-away ids,
 * webhook events naming the address: each bounded, kept 7 days or a few a person) with
 * the suppression hash in `extra`, records the id in `erasures`, and runs the first step of
 * deleting its history (deliveries, votes, legacy sent_papers rows: src/db/erasure.ts).
 * Those grow with the years subscribed, so whatever one page does not reach is left for
 * later steps, keyed only by the random id, which nothing links to a person any more.
 * Returns whether the row was there to delete, and whether history is left (`pending`: the
 * batch's last statement, which drops the `erasures` row once none is, left it).
 */
export async function eraseSubscriberData(
  db: D1Database,
  subscriber: { id: string; email: string },
  extra: D1PreparedStatement[],
  now: string = new Date().toISOString(),
): Promise<{ erased: boolean; pending: boolean }> {
  const person = [
    db.prepare('DELETE FROM mail_requests WHERE subscriber_id = ?').bind(subscriber.id),
    db.prepare('DELETE FROM subscriber_aliases WHERE subscriber_id = ?').bind(subscriber.id),
    // One index range (webhook_events_recipient, migrations/0015), not every event stored.
    db.prepare('DELETE FROM webhook_events WHERE lower(recipient) = lower(?)').bind(subscriber.email),
    db.prepare('DELETE FROM subscribers WHERE id = ?').bind(subscriber.id),
  ];
  const results = await db.batch([
    ...extra,
    ...person,
    erasureStatement(db, subscriber.id, now),
    ...erasureStepStatements(db, subscriber.id),
  ]);
  return {
    erased: (results[extra.length + person.length - 1]?.meta.changes ?? 0) > 0,
    pending: (results.at(-1)?.meta.changes ?? 0) === 0,
  };
}

/**
 * Deletes sign-ups never confirmed since `cutoff` (ISO) and with no confirmation link sent
 * since then either (a repeated sign-up does not touch the row); returns how many.
 */
export async function deletePendingBefore(db: D1Database, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM subscribers WHERE id IN (
         SELECT id FROM subscribers s WHERE s.status = 'pending' AND s.updated_at < ?1
           AND NOT EXISTS (SELECT 1 FROM mail_requests m WHERE m.subscriber_id = s.id AND m.created_at >= ?1)
         LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return result.meta.changes ?? 0;
}
