/**
 * SQL of the sender's exactly-once protocol up to the request (see `deliveries.ts` for the
 * state machine): load a message's rows and what each subscriber already received, skip,
 * and claim queued rows under one Idempotency-Key (queued → sending, storing the subject
 * and ranking so a replay renders the same email). What a request's answer does to the rows
 * is in `settling.ts`. Every write re-checks the status in its WHERE clause, so a late or
 * duplicate consumer changes nothing that is already final.
 */
import { chunk } from './chunk';
import {
  type Delivery,
  type DeliveryRow,
  deliveryFromRow,
  type RankingSnapshot,
  ROWS_PER_STATEMENT,
  toJson,
} from './deliveries';

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
    .bind(editionId, toJson(subscriberIds))
    .all<DeliveryRow>();
  return results.map(deliveryFromRow);
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
    .bind(toJson(keys))
    .all<DeliveryRow>();
  return results.map(deliveryFromRow);
}

/**
 * Paper ids each subscriber received since `since` (the edition's window start): a
 * candidate paper was ingested inside the window, so it cannot have been sent before it.
 * Read from the `paper_ids` of their sent deliveries (one range of the deliveries_sent
 * index per subscriber, a few rows each), not from a row per paper: a delivery that later
 * fails (email.failed) leaves the history by its status alone, and an email writes no row
 * per paper (the `sent_papers` table of earlier releases is no longer written or read).
 * A digest of another edition claimed and not settled (`sending`) counts too: it may
 * already be in the inbox, and its replay sends what it claimed, so a second edition in
 * flight must not rank the same papers (one range of deliveries_claimed, rows in flight
 * only). This message's own rows are `queued`, and a subscriber has one row per edition.
 */
export async function getRecentlySentPaperIds(
  db: D1Database,
  subscriberIds: string[],
  since: string,
): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>();
  if (subscriberIds.length === 0) return sent;
  const { results } = await db
    .prepare(
      `SELECT subscriber_id, paper_ids FROM deliveries
       WHERE subscriber_id IN (SELECT value FROM json_each(?1)) AND status = 'sent' AND sent_at >= ?2
       UNION ALL
       SELECT subscriber_id, paper_ids FROM deliveries
       WHERE subscriber_id IN (SELECT value FROM json_each(?1)) AND status = 'sending'`,
    )
    .bind(toJson(subscriberIds), since)
    .all<{ subscriber_id: string; paper_ids: string }>();
  for (const row of results) {
    const set = sent.get(row.subscriber_id) ?? new Set<string>();
    for (const id of JSON.parse(row.paper_ids) as string[]) set.add(id);
    sent.set(row.subscriber_id, set);
  }
  return sent;
}

/**
 * For each subscriber, the window end of the newest other edition sent to them since
 * `since` (this edition's window start; an older one cannot end inside this window).
 */
export async function getLastSentWindowEnds(
  db: D1Database,
  subscriberIds: string[],
  excludeEditionId: string,
  since: string,
): Promise<Map<string, string>> {
  if (subscriberIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT d.subscriber_id, MAX(e.window_end) AS last_end
       FROM deliveries d JOIN editions e ON e.id = d.edition_id
       WHERE d.subscriber_id IN (SELECT value FROM json_each(?1)) AND d.status = 'sent' AND d.sent_at > ?3
         AND d.edition_id <> ?2
       GROUP BY d.subscriber_id`,
    )
    .bind(toJson(subscriberIds), excludeEditionId, since)
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
        .bind(now, toJson(part)),
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
 * sent. Returns the ids actually claimed: another consumer may have taken some first, and a
 * row whose subscriber is no longer active is not claimed. The claim is the point from
 * which a request may carry a row, so it re-reads the subscriber's status itself: an
 * unsubscribe confirmed while the message was ranking and rendering (after its subscribers
 * were loaded) must stop the email, as a suppression does by skipping the queued rows.
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
           ranking = claim.ranking, attempts = attempts + 1, error = NULL, updated_at = ?2, enqueued_at = ?2,
           claimed_at = ?2
       FROM (SELECT value->>'id' AS id, value->>'subject' AS subject, value->>'paper_ids' AS paper_ids,
                    value->>'ranking' AS ranking FROM json_each(?3)) AS claim
       WHERE deliveries.id = claim.id AND deliveries.status = 'queued'
         AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')
       RETURNING deliveries.id`,
    )
    .bind(
      sendKey,
      now,
      toJson(
        claims.map((claim) => ({
          id: claim.id,
          subject: claim.subject,
          paper_ids: toJson(claim.ranking.map((item) => item.id)),
          ranking: toJson(claim.ranking),
        })),
      ),
    )
    .all<{ id: string }>();
  return new Set(results.map((row) => row.id));
}

/**
 * Of rows a claim did not take, skips those whose subscriber left (unsubscribed, suppressed)
 * since the message loaded them, with the reason; rows another consumer claimed are left to
 * it. Returns how many were skipped.
 */
export async function skipDeparted(db: D1Database, ids: string[], now: string): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'skipped', error = 'subscriber is ' || s.status, updated_at = ?1,
           enqueued_at = NULL
       FROM subscribers AS s
       WHERE deliveries.id IN (SELECT value FROM json_each(?2)) AND deliveries.status = 'queued'
         AND s.id = deliveries.subscriber_id AND s.status <> 'active'`,
    )
    .bind(now, toJson(ids))
    .run();
  return result.meta.changes ?? 0;
}

/** Re-keys a partially claimed group so its key names exactly the rows it holds. */
export async function renameSendKey(db: D1Database, from: string, to: string): Promise<void> {
  await db
    .prepare(`UPDATE deliveries SET send_key = ?2 WHERE send_key = ?1 AND status = 'sending'`)
    .bind(from, to)
    .run();
}

/**
 * Moves the two halves of a claimed group to keys of their own (a rejected batch split
 * up): a retry then replays each half under its own key. One statement, through the
 * group's key (the rows are found by send_key, then told apart by id).
 */
export async function splitSendKey(
  db: D1Database,
  from: string,
  [first, second]: [{ key: string; ids: string[] }, { key: string; ids: string[] }],
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries
       SET send_key = CASE WHEN id IN (SELECT value FROM json_each(?2)) THEN ?3
                           WHEN id IN (SELECT value FROM json_each(?4)) THEN ?5 ELSE send_key END
       WHERE send_key = ?1 AND status = 'sending'`,
    )
    .bind(from, toJson(first.ids), first.key, toJson(second.ids), second.key)
    .run();
}

/**
 * Starts one more request for a group being replayed, in one transaction: the rows whose
 * subscriber has left since the claim (unsubscribed, suppressed) fail with the reason, as
 * the replay leaves them out, and the others count one more attempt. Returns the ids still
 * to send and how many failed. Read here rather than from the load before rendering, so
 * an unsubscribe confirmed while the replay was rendering stops the email too.
 */
export async function startReplay(
  db: D1Database,
  sendKey: string,
  now: string,
): Promise<{ sending: Set<string>; departed: number }> {
  const [departed, counted] = await db.batch<{ id: string }>([
    db
      .prepare(
        `UPDATE deliveries SET status = 'failed', updated_at = ?2, enqueued_at = NULL,
           error = 'subscriber ' || s.status || ' before the send was confirmed: not sent again (an earlier attempt may have reached Resend)'
         FROM subscribers AS s
         WHERE deliveries.send_key = ?1 AND deliveries.status = 'sending'
           AND s.id = deliveries.subscriber_id AND s.status <> 'active'
         RETURNING deliveries.id`,
      )
      .bind(sendKey, now),
    db
      .prepare(
        `UPDATE deliveries SET attempts = attempts + 1, updated_at = ?2, enqueued_at = ?2
         WHERE send_key = ?1 AND status = 'sending'
         RETURNING id`,
      )
      .bind(sendKey, now),
  ]);
  return {
    sending: new Set((counted?.results ?? []).map((row) => row.id)),
    departed: departed?.results.length ?? 0,
  };
}
