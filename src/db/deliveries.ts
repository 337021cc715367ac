/**
 * The deliveries table (one row per subscriber per edition): its row type, the mapping to
 * `Delivery`, and the reads and writes webhooks need. The row's status is the exactly-once
 * state machine of the sender:
 *   queued  → planned, nothing sent;
 *   sending → claimed under `send_key` (the Resend Idempotency-Key); the request may or may
 *             not have reached Resend, so a retry must replay that exact group with that key;
 *   sent / failed / skipped → final.
 * The planner's queries live in `planning.ts`, the sender's loads and claims in
 * `sending.ts`, what a request's answer does to the rows in `settling.ts`, and the shared
 * pacer in `pacer.ts`. Multi-row reads and writes pass their ids as one JSON parameter
 * (`json_each(?)`), so a message of 100 subscribers costs a handful of statements whatever
 * D1's 100-parameter limit.
 */

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

/** What the ranker chose for a delivery, kept so a replay renders the same email. */
export interface RankingSnapshot {
  id: string;
  score: number;
  why: string[];
  /**
   * Set on every item of a digest filled from trending because nothing matched the
   * interests (the digest's basis, kept on the items so the snapshot stays a plain array):
   * a replay and the view-in-browser page then say so as the email did.
   */
  basis?: 'trending';
}

/** The basis a stored ranking was sent with. */
export function snapshotBasis(ranking: readonly RankingSnapshot[] | null): 'relevant' | 'trending' {
  return ranking?.[0]?.basis === 'trending' ? 'trending' : 'relevant';
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
  /** When the row was claimed under its current send_key (null: claimed before migration 0019). */
  claimedAt: string | null;
}

export interface DeliveryRow {
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
  claimed_at: string | null;
}

export const deliveryFromRow = (row: DeliveryRow): Delivery => ({
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
  claimedAt: row.claimed_at ?? null,
});

export const toJson = (value: unknown): string => JSON.stringify(value);
/** Rows per multi-row statement: keeps each JSON parameter well under D1's size limits. */
export const ROWS_PER_STATEMENT = 500;

/**
 * The SET clause that gives up on unfinished rows: `failed`, with the reason (?1) followed by
 * the last transient error the row recorded, at ?2. Shared by expiry and dead letters.
 */
export const GIVE_UP = `status = 'failed', error = ?1 || COALESCE(' (last error: ' || error || ')', ''),
           updated_at = ?2, enqueued_at = NULL`;

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
    if (row) return deliveryFromRow(row);
  }
  if (resendId) {
    const row = await db
      .prepare('SELECT * FROM deliveries WHERE resend_id = ? LIMIT 1')
      .bind(resendId)
      .first<DeliveryRow>();
    if (row) return deliveryFromRow(row);
  }
  return null;
}

export async function getDelivery(db: D1Database, id: string): Promise<Delivery | null> {
  const row = await db.prepare('SELECT * FROM deliveries WHERE id = ?').bind(id).first<DeliveryRow>();
  return row ? deliveryFromRow(row) : null;
}

/** The event a webhook reports on a delivery, as `recordDeliveryEventStatement` recorded it. */
export interface DeliveryEvent {
  deliveryId: string;
  /** Resend's id of the email it is about, when it says. */
  resendId: string | null;
}

/**
 * The row's current email is the one the event is about: its Resend id is the row's (set
 * by `recordDeliveryEventStatement` earlier in the batch if the row had none, unless the
 * event is older than one recorded). A digest sent again after a temporary failure is
 * another email; a late or repeated event about the failed one must not touch it.
 */
const ABOUT_CURRENT_EMAIL = `(?2 IS NULL OR resend_id = ?2)`;

/**
 * Resend accepted a digest and then did not send it (email.failed, email.suppressed): the
 * delivery fails with the reason, and with that its papers are no longer counted as
 * received, so a later digest may carry them. Runs after the event is recorded, in the
 * same batch.
 */
export function failSentDeliveryStatement(
  db: D1Database,
  event: DeliveryEvent,
  reason: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'failed', error = ?3, updated_at = ?4
       WHERE id = ?1 AND status IN ('sent', 'sending') AND ${ABOUT_CURRENT_EMAIL}`,
    )
    .bind(event.deliveryId, event.resendId, reason, now);
}

/**
 * Resend accepted a digest and then could not send it for a reason that passes (its daily
 * quota): while it has been sent again fewer than `maxResends` times, the delivery goes back
 * to `queued`, parked (enqueued_at NULL) for the planner's sweep, its claim dropped so the
 * next claim sends it under a new Idempotency-Key (Resend holds the old one as used and
 * would answer it with the failed email). The failed email's id and event go, so the
 * acceptance of the next email can be stored (`markSent`) and its events apply; the
 * failure's time stays, so an older event about the failed email proves nothing. Runs
 * after the event is recorded and before `failSentDeliveryStatement`, which then fails
 * only a row past its resends.
 */
export function requeueFailedDeliveryStatement(
  db: D1Database,
  event: DeliveryEvent,
  reason: string,
  maxResends: number,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries
       SET status = 'queued', send_key = NULL, claimed_at = NULL, resend_id = NULL, sent_at = NULL,
           last_event = NULL, resends = resends + 1, enqueued_at = NULL, updated_at = ?4,
           error = ?3 || '; to be sent again (' || (resends + 1) || ' of ' || ?5 || ')'
       WHERE id = ?1 AND status IN ('sent', 'sending') AND resends < ?5 AND ${ABOUT_CURRENT_EMAIL}`,
    )
    .bind(event.deliveryId, event.resendId, reason, now, maxResends);
}

/** Events saying Resend never sent the email (an SQL list). */
export const NEVER_SENT = `('email.failed', 'email.suppressed')`;
/**
 * The event (at ?3) is not older than the newest recorded on the row: only such an event
 * says anything about the row's current email (a digest sent again after a temporary
 * failure keeps the failure's time, so a late event about the failed email is older).
 */
const NEWEST = `(last_event_at IS NULL OR last_event_at <= ?3)`;
/**
 * The event (?2, with Resend's id ?4) shows that a row not yet `sent` did leave: SET reads
 * the row as it was, so status and sent_at can both test it.
 */
const PROVES_SENT = `status IN ('sending', 'failed') AND ?4 IS NOT NULL AND ?2 NOT IN ${NEVER_SENT}
  AND COALESCE(last_event, '') NOT IN ${NEVER_SENT} AND ${NEWEST}`;

/**
 * Records a webhook event on its delivery, newest event wins (events can arrive out of
 * order). An event about an email proves it left Resend, so a row whose answer we lost
 * (still `sending`, or failed by the dead-letter queue) becomes `sent` with the id, and
 * so its papers join the subscriber's history as `markSent` would have put them (its
 * retry finds the row final and writes nothing); but not on or after email.failed or
 * email.suppressed, which say it never left.
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
       SET last_event = CASE WHEN ${NEWEST} THEN ?2 ELSE last_event END,
           last_event_at = CASE WHEN ${NEWEST} THEN ?3 ELSE last_event_at END,
           resend_id = CASE WHEN ${NEWEST} THEN COALESCE(resend_id, ?4) ELSE resend_id END,
           status = CASE WHEN ${PROVES_SENT} THEN 'sent' ELSE status END,
           sent_at = CASE WHEN ${PROVES_SENT} THEN COALESCE(sent_at, ?3) ELSE sent_at END,
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
