/**
 * Reads behind the view-in-browser page and the private Atom feed: one delivery with its
 * edition, and a subscriber's recently sent digests. Deliveries are written by the sender;
 * here they are only read, together with the ranking snapshot (papers in order, each with
 * its "why") that the sender stored when it built the email.
 */
import type { Frequency } from '../domain';
import type { RankingSnapshot } from './deliveries';

export interface DeliveryView {
  id: string;
  subscriberId: string;
  status: string;
  subject: string | null;
  /** Papers in digest order with their reasons (from the ranking snapshot, or ids only). */
  items: RankingSnapshot[];
  sentAt: string | null;
  queuedAt: string;
  periodKey: string;
  plannedAt: string;
  frequency: Frequency;
}

interface DeliveryViewRow {
  id: string;
  subscriber_id: string;
  status: string;
  subject: string | null;
  paper_ids: string;
  ranking: string | null;
  sent_at: string | null;
  queued_at: string;
  period_key: string;
  planned_at: string;
  frequency: Frequency;
}

const SELECT_VIEW = `
  SELECT d.id, d.subscriber_id, d.status, d.subject, d.paper_ids, d.ranking, d.sent_at, d.queued_at,
         e.period_key, e.planned_at, e.frequency
  FROM deliveries d JOIN editions e ON e.id = d.edition_id`;

function parseItems(row: DeliveryViewRow): RankingSnapshot[] {
  if (row.ranking) {
    try {
      const ranking = JSON.parse(row.ranking) as RankingSnapshot[];
      if (Array.isArray(ranking)) {
        return ranking
          .filter((item) => item && typeof item.id === 'string')
          .map((item) => ({
            id: item.id,
            score: Number(item.score) || 0,
            why: Array.isArray(item.why) ? item.why : [],
            ...(item.basis === 'trending' ? { basis: 'trending' as const } : {}),
          }));
      }
    } catch {
      // fall through to the plain id list
    }
  }
  const ids = JSON.parse(row.paper_ids) as string[];
  return ids.map((id) => ({ id, score: 0, why: [] }));
}

const fromRow = (row: DeliveryViewRow): DeliveryView => ({
  id: row.id,
  subscriberId: row.subscriber_id,
  status: row.status,
  subject: row.subject,
  items: parseItems(row),
  sentAt: row.sent_at,
  queuedAt: row.queued_at,
  periodKey: row.period_key,
  plannedAt: row.planned_at,
  frequency: row.frequency,
});

export async function getDeliveryView(db: D1Database, deliveryId: string): Promise<DeliveryView | null> {
  const row = await db.prepare(`${SELECT_VIEW} WHERE d.id = ?`).bind(deliveryId).first<DeliveryViewRow>();
  return row ? fromRow(row) : null;
}

/** The subscriber's most recent sent digests, newest first. */
export async function listSentDeliveries(
  db: D1Database,
  subscriberId: string,
  limit: number,
): Promise<DeliveryView[]> {
  const { results } = await db
    .prepare(
      `${SELECT_VIEW} WHERE d.subscriber_id = ? AND d.status = 'sent' AND d.sent_at IS NOT NULL
       ORDER BY d.sent_at DESC LIMIT ?`,
    )
    .bind(subscriberId, limit)
    .all<DeliveryViewRow>();
  return results.map(fromRow);
}
