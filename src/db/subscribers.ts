/**
 * SQL for the subscribers table: row mapping and lookups shared by every area.
 */

import type { Frequency, Subscriber, SubscriberStatus } from '../domain';
import { chunk, D1_MAX_PARAMS, placeholders } from './chunk';

export interface SubscriberRow {
  id: string;
  email: string;
  status: SubscriberStatus;
  interests: string;
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

export async function getSubscriberByEmail(db: D1Database, email: string): Promise<Subscriber | null> {
  const row = await db
    .prepare('SELECT * FROM subscribers WHERE email = ?')
    .bind(email)
    .first<SubscriberRow>();
  return row ? rowToSubscriber(row) : null;
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
