/**
 * The digest planner, run by the hourly cron and by POST /admin/digest. It finds the active
 * subscribers whose digest is due (their local send hour has come today, in their own IANA
 * zone; weekly ones on their weekday; and their current period has no delivery yet), freezes
 * one edition per frequency (the candidate papers ingested in its window), writes one queued
 * delivery per subscriber and enqueues messages of up to 100 subscribers. The work is a
 * fixed handful of statements plus one insert per 500 subscribers and one sendBatch per
 * ~50 messages, so any number of subscribers fits in one invocation, and the UNIQUE
 * (subscriber, period) constraint makes repeated or concurrent runs plan nothing twice.
 * It also re-enqueues deliveries no message carries any more (parked during a quota pause,
 * or lost) and expires the ones too old to be worth sending.
 */

import { type Edition, insertEditionStatement, listCandidatePaperIds } from '../db/editions';
import {
  expireDeliveries,
  insertQueuedDeliveries,
  listActiveTimeZones,
  listDueSubscribers,
  listOrphanedDeliveries,
  markEnqueued,
  type ZoneClock,
} from '../db/planning';
import type { Frequency } from '../domain';
import type { AppContext } from '../env';
import { logError } from '../lib/log';
import { isoWeekKey, isValidTimeZone, localTime, nowIso, utcDate } from '../lib/time';
import { buildSendMessages, enqueueSendMessages } from './messages';
import { activeQuotaPause, type QuotaPause } from './quota';

export interface PlanOptions {
  at: Date;
  /** Ignore send hours: plan every active subscriber whose period has no digest yet. */
  all?: boolean;
}

export interface PlannedEdition {
  id: string;
  frequency: Frequency;
  period_key: string;
  window_start: string;
  window_end: string;
  candidates: number;
  subscribers: number;
}

export interface PlanSummary {
  at: string;
  all: boolean;
  /** Deliveries newly planned (one per due subscriber). */
  planned: number;
  editions: PlannedEdition[];
  /** Queue messages sent for the new deliveries (≤ 100 subscribers each). */
  messages: number;
  /** Older unfinished deliveries put back on the queue (parked by a quota pause, or lost). */
  requeued: number;
  /** Unfinished deliveries given up on because they are too old to be useful. */
  expired: number;
  /** Set while Resend's quota is exhausted: planning continues, sending waits. */
  paused: QuotaPause | null;
}

/** How far back an edition looks for papers a subscriber has not seen yet. */
const CANDIDATE_WINDOW_HOURS: Record<Frequency, number> = { daily: 72, weekly: 8 * 24 };
/** After this long a planned digest is stale (the next one is due), so it is not sent late. */
const EXPIRE_AFTER_HOURS: Record<Frequency, number> = { daily: 20, weekly: 72 };
/** A retrying message touches its rows at least every ~21 min; rows untouched for 3 h lost their message. */
const ORPHANED_AFTER_MS = 3 * 3_600_000;
const REQUEUE_LIMIT = 10_000;

export async function planDigests(app: AppContext, options: PlanOptions): Promise<PlanSummary> {
  const { db } = app;
  const at = options.at;
  const all = options.all ?? false;
  const now = new Date();
  const nowText = nowIso(now);

  const zones = await listActiveTimeZones(db);
  const due = await listDueSubscribers(
    db,
    zones.map((zone) => zoneClock(zone, at)),
    all,
  );

  const editions: PlannedEdition[] = [];
  let planned = 0;
  let messages = 0;
  for (const frequency of ['daily', 'weekly'] as const) {
    const subscribers = due.filter((subscriber) => subscriber.frequency === frequency);
    if (subscribers.length === 0) continue;
    const edition = await createEdition(db, frequency, at);
    const inserted = await insertQueuedDeliveries(
      db,
      edition.id,
      subscribers.map((subscriber) => ({
        id: crypto.randomUUID(),
        subscriberId: subscriber.id,
        periodKey: subscriber.periodKey,
      })),
      nowText,
    );
    if (inserted.length === 0) continue;
    const batch = buildSendMessages(
      edition.id,
      inserted.map((row) => row.subscriberId),
    );
    try {
      await enqueueSendMessages(app.queue, batch);
    } catch (error) {
      // The rows exist; parking them lets the next run (or the sweep below) enqueue them.
      await markEnqueued(
        db,
        inserted.map((row) => row.id),
        null,
      );
      throw error;
    }
    planned += inserted.length;
    messages += batch.length;
    editions.push({
      id: edition.id,
      frequency,
      period_key: edition.periodKey,
      window_start: edition.windowStart,
      window_end: edition.windowEnd,
      candidates: edition.paperIds.length,
      subscribers: inserted.length,
    });
  }

  const paused = await activeQuotaPause(db, now);
  let expired = 0;
  let requeued = 0;
  for (const frequency of ['daily', 'weekly'] as const) {
    const cutoff = new Date(now.getTime() - EXPIRE_AFTER_HOURS[frequency] * 3_600_000);
    expired += await expireDeliveries(
      db,
      frequency,
      nowIso(cutoff),
      `expired: not sent within ${EXPIRE_AFTER_HOURS[frequency]} h of planning`,
      nowText,
    );
  }
  if (!paused) requeued = await requeueOrphans(app, now);

  return { at: at.toISOString(), all, planned, editions, messages, requeued, expired, paused };
}

/** Local date, hour, weekday and ISO week of a zone at `at` (an invalid zone counts as UTC). */
export function zoneClock(timeZone: string, at: Date): ZoneClock {
  const local = localTime(at, isValidTimeZone(timeZone) ? timeZone : 'UTC');
  return {
    tz: timeZone,
    date: local.date,
    hour: local.hour,
    weekday: local.weekday,
    week: isoWeekKey(local.date),
  };
}

async function createEdition(db: D1Database, frequency: Frequency, at: Date): Promise<Edition> {
  const windowEnd = at.toISOString();
  const windowStart = new Date(at.getTime() - CANDIDATE_WINDOW_HOURS[frequency] * 3_600_000).toISOString();
  const day = utcDate(at);
  const periodKey = frequency === 'daily' ? day : isoWeekKey(day);
  const stamp = windowEnd.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const edition: Edition = {
    // Only letters, digits, '-' and '_': the id doubles as a Resend tag value.
    id: `${frequency}-${stamp}-${crypto.randomUUID().slice(0, 8)}`,
    frequency,
    periodKey,
    plannedAt: windowEnd,
    windowStart,
    windowEnd,
    paperIds: await listCandidatePaperIds(db, windowStart, windowEnd),
  };
  await insertEditionStatement(db, edition).run();
  return edition;
}

async function requeueOrphans(app: AppContext, now: Date): Promise<number> {
  const orphans = await listOrphanedDeliveries(
    app.db,
    nowIso(new Date(now.getTime() - ORPHANED_AFTER_MS)),
    REQUEUE_LIMIT,
  );
  if (orphans.length === 0) return 0;
  const byEdition = new Map<string, string[]>();
  for (const orphan of orphans) {
    const list = byEdition.get(orphan.editionId) ?? [];
    list.push(orphan.subscriberId);
    byEdition.set(orphan.editionId, list);
  }
  const messages = [...byEdition].flatMap(([editionId, ids]) => buildSendMessages(editionId, ids));
  try {
    await enqueueSendMessages(app.queue, messages);
  } catch (error) {
    logError('requeue_failed', error, { deliveries: orphans.length });
    return 0;
  }
  await markEnqueued(
    app.db,
    orphans.map((orphan) => orphan.id),
    nowIso(now),
  );
  return orphans.length;
}
