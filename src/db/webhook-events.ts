/**
 * SQL for Resend webhook events: each event is stored once (keyed by its svix-id) in the
 * same transaction as its effects, so a redelivered event is recognised and a crash can
 * never leave an event recorded but not applied. Effects are idempotent on their own
 * (suppressing twice is suppressing once; the newest event wins on the delivery), so a
 * replay that slips past the dedupe still changes nothing. Whether the event's person is
 * still held is asked again inside that transaction, so an erasure committed after the
 * event was read cannot leave their address in the stored event.
 */
import { nowIso } from '../lib/time';
import {
  failSentDeliveryStatement,
  recordDeliveryEventStatement,
  requeueFailedDeliveryStatement,
  skipUnsentForSubscriberStatement,
} from './deliveries';
import { type SuppressionReason, suppressionStatement } from './suppressions';

export interface WebhookEventRecord {
  svixId: string;
  type: string;
  emailId: string | null;
  recipient: string | null;
  payload: string;
  /**
   * The subscriber the event was found to name, and the payload to store instead if they
   * are erased between that read and this write: checked again inside the write's
   * transaction, so an erasure landing in between cannot leave their address behind.
   */
  heldBy?: { subscriberId: string; redactedPayload: string };
}

export interface EventEffects {
  /**
   * Delivery to record the event on (found by tag or Resend id); with `failure`, Resend
   * could not send it after all: the delivery fails with that reason and its papers are
   * no longer counted as received; with `sendAgain` too (a temporary failure), it is put
   * back to be sent again instead, unless it was sent again that many times already.
   */
  delivery?: {
    id: string;
    eventAt: string;
    resendId: string | null;
    failure?: string;
    sendAgain?: number;
  };
  /**
   * Subscriber to suppress for good (hard bounce, complaint, Resend suppression): by id when
   * known, else by address (any letter case); `hashes` are the suppression keys of the
   * address and of its mailbox (identity.ts).
   */
  suppress?: { subscriberId: string | null; email: string; hashes: string[]; reason: SuppressionReason };
}

/** True when the event was new; false when this svix-id was seen before (nothing re-applied). */
export async function storeWebhookEvent(
  db: D1Database,
  event: WebhookEventRecord,
  effects: EventEffects,
  now: Date = new Date(),
): Promise<boolean> {
  const at = nowIso(now);
  const seen = await db
    .prepare('SELECT 1 AS seen FROM webhook_events WHERE svix_id = ?')
    .bind(event.svixId)
    .first<{ seen: number }>();
  if (seen) return false;

  const statements: D1PreparedStatement[] = [
    event.heldBy
      ? db
          .prepare(
            // `WHERE true`: SQLite's upsert after INSERT … SELECT needs a WHERE to parse.
            `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
             SELECT ?1, ?2, ?3, CASE WHEN held THEN ?4 END, CASE WHEN held THEN ?5 ELSE ?6 END, ?7
             FROM (SELECT EXISTS (SELECT 1 FROM subscribers WHERE id = ?8) AS held) WHERE true
             ON CONFLICT (svix_id) DO NOTHING`,
          )
          .bind(
            event.svixId,
            event.type,
            event.emailId,
            event.recipient,
            event.payload,
            event.heldBy.redactedPayload,
            at,
            event.heldBy.subscriberId,
          )
      : db
          .prepare(
            `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (svix_id) DO NOTHING`,
          )
          .bind(event.svixId, event.type, event.emailId, event.recipient, event.payload, at),
  ];
  if (effects.delivery) {
    statements.push(
      recordDeliveryEventStatement(
        db,
        effects.delivery.id,
        event.type,
        effects.delivery.eventAt,
        effects.delivery.resendId,
        at,
      ),
    );
    // The status alone decides whether the papers count as received: a row the event proves
    // sent joins the history, one it fails (or puts back to send again) leaves it.
    const { id, resendId, failure, sendAgain } = effects.delivery;
    const recorded = { deliveryId: id, resendId };
    if (failure && sendAgain !== undefined) {
      statements.push(requeueFailedDeliveryStatement(db, recorded, failure, sendAgain, at));
      // Runs after the requeue: it finds a row still sent or sending only past its resends.
      const final = `${failure}; not sent again: already sent again ${sendAgain} times`;
      statements.push(failSentDeliveryStatement(db, recorded, final, at));
    } else if (failure) statements.push(failSentDeliveryStatement(db, recorded, failure, at));
  }
  if (effects.suppress) {
    const { subscriberId, email, hashes, reason } = effects.suppress;
    for (const hash of hashes) statements.push(suppressionStatement(db, hash, reason, now));
    const subscriber = subscriberId
      ? db
          .prepare(
            `UPDATE subscribers SET status = 'suppressed', suppressed_at = ?2, suppressed_reason = ?3, updated_at = ?2
             WHERE id = ?1 AND status <> 'suppressed'`,
          )
          .bind(subscriberId, at, reason)
      : db
          .prepare(
            `UPDATE subscribers SET status = 'suppressed', suppressed_at = ?2, suppressed_reason = ?3, updated_at = ?2
             WHERE lower(email) = lower(?1) AND status <> 'suppressed'`,
          )
          .bind(email, at, reason);
    statements.push(subscriber);
    if (subscriberId)
      statements.push(skipUnsentForSubscriberStatement(db, subscriberId, `subscriber ${reason}`, at));
  }
  await db.batch(statements);
  return true;
}
