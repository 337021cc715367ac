/**
 * SQL that settles a send request's outcome on its claimed rows: sent (with message ids, one
 * statement per 100 rows, one transaction), failed, transient failure (claim kept for the replay),
 * quota release (claim dropped, rows parked for the planner) or, on a replay, quota park (claim
 * kept, rows parked), parked, or dead-lettered.
 * Every write re-checks the status in its WHERE clause, so a late or duplicate consumer
 * changes nothing that is already final.
 */
import { chunk } from './chunk';
import { GIVE_UP, NEVER_SENT, ROWS_PER_STATEMENT, toJson } from './deliveries';

export interface SentDelivery {
  id: string;
  resendId: string | null;
}

/**
 * Final bookkeeping of an accepted request in one transaction: the rows become `sent` with
 * their Resend ids, which is also what puts their papers in the subscriber's history
 * (`getRecentlySentPaperIds` reads the `paper_ids` of sent rows). Idempotent. A `failed`
 * row becomes sent too (given up by expiry or the dead-letter queue while its request was
 * out), unless a webhook failed it: Resend accepted the email and then did not send it
 * (email.failed, email.suppressed), which can arrive before this write, and accepted is
 * not sent. Only rows still claimed under the request's key: a temporary email.failed
 * arriving before this write put its row back to `queued` without a key, to be sent again.
 */
export async function markSent(
  db: D1Database,
  sendKey: string,
  sent: SentDelivery[],
  now: string,
  note: string | null = null,
): Promise<void> {
  if (sent.length === 0) return;
  const statements: D1PreparedStatement[] = [];
  // `+send_key`: the rows are found by id; through the send_key index SQLite walked the
  // group and scanned the JSON ids for each row, ~3,000 more rows read per message.
  for (const part of chunk(sent, ROWS_PER_STATEMENT)) {
    statements.push(
      db
        .prepare(
          `UPDATE deliveries
           SET status = 'sent', resend_id = COALESCE(done.resend_id, deliveries.resend_id), sent_at = ?1,
               updated_at = ?1, error = ?2, enqueued_at = NULL
           FROM (SELECT value->>'id' AS id, value->>'resend_id' AS resend_id FROM json_each(?3)) AS done
           WHERE deliveries.id = done.id AND deliveries.status IN ('sending', 'failed')
             AND +deliveries.send_key = ?4 AND COALESCE(deliveries.last_event, '') NOT IN ${NEVER_SENT}`,
        )
        .bind(now, note, toJson(part.map((item) => ({ id: item.id, resend_id: item.resendId }))), sendKey),
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
           WHERE id IN (SELECT value FROM json_each(?3)) AND +status IN ('queued', 'sending')`,
        )
        .bind(reason, now, toJson(part)),
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
      `UPDATE deliveries SET status = 'queued', send_key = NULL, claimed_at = NULL, error = ?2, updated_at = ?3,
           enqueued_at = NULL
       WHERE send_key = ?1 AND status = 'sending'`,
    )
    .bind(sendKey, note, now)
    .run();
}

/**
 * Resend refused a replay for quota, which proves nothing about the earlier request under
 * the same key: the group stays claimed under it, parked for the planner (enqueued_at NULL
 * on every row of the group, whichever message carries it), with the note for operators.
 */
export async function parkClaim(db: D1Database, sendKey: string, note: string, now: string): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET error = ?2, updated_at = ?3, enqueued_at = NULL WHERE send_key = ?1 AND status = 'sending'`,
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
       WHERE subscriber_id IN (SELECT value FROM json_each(?2)) AND edition_id = ?1
         AND +status IN ('queued', 'sending')`,
    )
    .bind(editionId, toJson(subscriberIds))
    .run();
  return result.meta.changes ?? 0;
}

/**
 * The dead-letter queue gave up on a message: its unfinished rows become failed. Only those
 * it still carries: rows the planner requeued since (`requeue_id`, null until then) belong
 * to the requeue's messages, which may be sending them under a claim of their own.
 */
export async function failUnfinished(
  db: D1Database,
  editionId: string,
  subscriberIds: string[],
  requeue: string | null,
  reason: string,
  now: string,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET ${GIVE_UP}
       WHERE subscriber_id IN (SELECT value FROM json_each(?4)) AND edition_id = ?3
         AND +status IN ('queued', 'sending') AND requeue_id IS ?5`,
    )
    .bind(reason, now, editionId, toJson(subscriberIds), requeue)
    .run();
  return result.meta.changes ?? 0;
}
