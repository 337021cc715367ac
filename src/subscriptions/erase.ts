/**
 * "Delete me" and "export my data" (reached through the mailed, short-lived links of
 * data-requests.ts). Erasure removes the subscriber and everything keyed to them but keeps
 * a keyed hash of the address in `suppressions` (reason "erased"; see identity.ts), so an
 * old CSV cannot quietly re-import someone who asked to be forgotten, and nobody can tell
 * from the hash who that was. The request removes the person at once (row, address,
 * aliases, mail requests, a held sign-up, events naming the address: nothing can be sent
 * to them, no link of theirs works) and a first page of their history; the rest, keyed
 * only by the random id (years of digests and votes: tens of thousands of rows as D1
 * counts them, more than one invocation may write), goes in bounded steps on the plan queue, a message a step, and
 * an erasure whose continuation was lost is restarted by the daily housekeeping pass. The
 * export is what we hold about a person, minus token internals (the link version counter,
 * mail request ids that links name) and the planner's bookkeeping (next_send_at,
 * categories: both derived from their settings).
 */

import { eraseHistoryPage, stalledErasures } from '../db/erasure';
import { deleteHeldSignupsStatement, getHeldSignup } from '../db/mail-requests';
import { eraseSubscriberData, getSubscriberActivity } from '../db/subscribers';
import { type SuppressionReason, suppressionStatement } from '../db/suppressions';
import type { EraseMessage } from '../delivery/messages';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { logError, logEvent } from '../lib/log';
import { addressHash } from './identity';
import { parseInterests } from './interests';

/** Steps of one erasure at most (500 digests each: centuries of them); the daily pass goes on past it. */
export const MAX_ERASURE_STEPS = 1_000;
/** An erasure still waiting this long after it was asked for has lost its continuation. */
const STALLED_AFTER_MS = 3_600_000;
/** Erasures the daily pass restarts at most (one sendBatch). */
const RESUMED_PER_PASS = 100;

export async function eraseSubscriber(
  app: Pick<AppContext, 'db' | 'config' | 'planQueue'>,
  subscriber: Pick<Subscriber, 'id' | 'email' | 'status' | 'suppressedReason'>,
  now: Date = new Date(),
): Promise<boolean> {
  const { db } = app;
  const hash = await addressHash(app.config.EMAIL_HASH_SECRET, subscriber.email);
  // An address suppressed for bouncing or complaining stays blocked for that reason even
  // after erasure, so a later sign-up cannot restart mail to it.
  const reason: SuppressionReason =
    subscriber.status !== 'suppressed'
      ? 'erased'
      : subscriber.suppressedReason === 'bounced' || subscriber.suppressedReason === 'complained'
        ? subscriber.suppressedReason
        : 'suppressed';
  const { erased, pending } = await eraseSubscriberData(
    db,
    subscriber,
    // A sign-up held for them (migrations/0027) names them by id and holds what was typed.
    [suppressionStatement(db, hash, reason, now), deleteHeldSignupsStatement(db, subscriber.id)],
    now.toISOString(),
  );
  if (pending) {
    const next: EraseMessage = { v: 1, kind: 'erase', subscriber: subscriber.id, step: 2 };
    try {
      await app.planQueue.send(next, { contentType: 'json' });
    } catch (error) {
      // The person is already erased; only history keyed by their random id is left, and
      // the daily housekeeping pass restarts an erasure left waiting (resumeErasures).
      logError('erasure_continue_failed', error, { subscriber: subscriber.id });
    }
  }
  return erased;
}

/** One step of an erasure's history (a plan-queue message), and the next queued if a page was full. */
export async function erasureStep(app: Pick<AppContext, 'db' | 'planQueue'>, message: EraseMessage) {
  const started = Date.now();
  const { deleted, more } = await eraseHistoryPage(app.db, message.subscriber);
  const continues = more && message.step < MAX_ERASURE_STEPS;
  if (continues) {
    const next: EraseMessage = { ...message, step: message.step + 1 };
    await app.planQueue.send(next, { contentType: 'json' });
  }
  logEvent('erasure_step', {
    subscriber: message.subscriber,
    step: message.step,
    deleted,
    continues,
    ...(more && !continues ? { stopped: `after ${MAX_ERASURE_STEPS} steps; the daily pass goes on` } : {}),
    duration_ms: Date.now() - started,
  });
  return { deleted, continues };
}

/**
 * Restarts erasures asked for over an hour before `at` and still waiting (their
 * continuation was refused by the queue, or gave up): from the daily housekeeping pass.
 */
export async function resumeErasures(app: Pick<AppContext, 'db' | 'planQueue'>, at: Date): Promise<number> {
  const ids = await stalledErasures(
    app.db,
    new Date(at.getTime() - STALLED_AFTER_MS).toISOString(),
    RESUMED_PER_PASS,
  );
  if (ids.length === 0) return 0;
  await app.planQueue.sendBatch(
    ids.map((id) => ({
      body: { v: 1, kind: 'erase', subscriber: id, step: 1 } satisfies EraseMessage,
      contentType: 'json' as const,
    })),
  );
  logEvent('erasures_resumed', { count: ids.length });
  return ids.length;
}

export async function exportSubscriberData(db: D1Database, subscriber: Subscriber, now: Date = new Date()) {
  const [activity, held] = await Promise.all([
    getSubscriberActivity(db, subscriber),
    getHeldSignup(db, subscriber.id),
  ]);
  const parseStored = (value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  };
  const deliveries: Record<string, unknown>[] = activity.deliveries.map((delivery) => ({
    ...delivery,
    paper_ids: parseStored(delivery.paper_ids),
    ranking: parseStored(delivery.ranking),
  }));
  return {
    exported_at: now.toISOString(),
    subscriber: {
      id: subscriber.id,
      email: subscriber.email,
      status: subscriber.status,
      interests: subscriber.interests,
      interests_parsed: parseInterests(subscriber.interests),
      frequency: subscriber.frequency,
      send_hour: subscriber.sendHour,
      send_weekday: subscriber.sendWeekday,
      time_zone: subscriber.timeZone,
      digest_size: subscriber.digestSize,
      trending_mix: subscriber.trendingMix,
      always_send: subscriber.alwaysSend,
      learned_term_weights: subscriber.termWeights,
      created_at: subscriber.createdAt,
      updated_at: subscriber.updatedAt,
      confirmed_at: subscriber.confirmedAt,
      unsubscribed_at: subscriber.unsubscribedAt,
      suppressed_at: subscriber.suppressedAt,
      suppressed_reason: subscriber.suppressedReason,
      consent_at: subscriber.consentAt,
      consent_method: subscriber.consentMethod,
      consent_ip_hash: subscriber.consentIpHash,
    },
    deliveries,
    // Kept in the export's shape since before the list of a digest's papers was the record:
    // every paper of every digest sent, with the digest and when.
    sent_papers: deliveries.flatMap((delivery) =>
      delivery.status === 'sent' && Array.isArray(delivery.paper_ids)
        ? delivery.paper_ids.map((paperId) => ({
            paper_id: paperId,
            delivery_id: delivery.id,
            sent_at: delivery.sent_at,
          }))
        : [],
    ),
    feedback: activity.feedback,
    // Emails sent because they asked (sign-up confirmations with the settings asked for,
    // data links); rows go after 7 days.
    mail_requests: activity.mailRequests.map((request) => ({
      ...request,
      settings: parseStored(request.settings),
    })),
    // A sign-up of their address that came while its emails were capped, waiting for their
    // choice on the confirm page (kept as long as the confirmation link).
    held_signup: held ? { settings: held.settings, created_at: held.createdAt } : null,
    // Resend's reports on mail to them (delivered, opened, clicked, bounced), as received;
    // kept 7 days.
    webhook_events: activity.webhookEvents.map((event) => ({
      ...event,
      payload: parseStored(event.payload),
    })),
    // Their own earlier ids (same address in another letter case, merged by migration 0005).
    merged_ids: activity.aliases,
  };
}
