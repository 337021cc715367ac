/**
 * "Delete me" and "export my data" (reached through the mailed, short-lived links of
 * data-requests.ts). Erasure removes the subscriber and everything keyed to them but keeps
 * a keyed hash of the address in `suppressions` (reason "erased"; see identity.ts), so an
 * old CSV cannot quietly re-import someone who asked to be forgotten, and nobody can tell
 * from the hash who that was. The export is what we hold about a person, minus token
 * internals (the link version counter, mail request ids that links name) and the
 * planner's bookkeeping (next_send_at, categories: both derived from their settings).
 */

import { eraseSubscriberData, getSubscriberActivity } from '../db/subscribers';
import { type SuppressionReason, suppressionStatement } from '../db/suppressions';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { addressHash } from './identity';
import { parseInterests } from './interests';

export async function eraseSubscriber(
  app: Pick<AppContext, 'db' | 'config'>,
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
  return eraseSubscriberData(db, subscriber, [suppressionStatement(db, hash, reason, now)]);
}

export async function exportSubscriberData(db: D1Database, subscriber: Subscriber, now: Date = new Date()) {
  const activity = await getSubscriberActivity(db, subscriber);
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
