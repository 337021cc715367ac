/**
 * What a Resend webhook event means for us, once its signature has been checked: which
 * delivery it is about (the `delivery` tag we send, or Resend's message id), whom it names,
 * and whether it suppresses the address for good (a permanent bounce, a complaint, a
 * Resend suppression). Transient bounces and delays are only recorded on the delivery;
 * `email.failed` (Resend accepted the request, then could not send: quota, domain, …) and
 * `email.suppressed` (Resend did not send it: the address is on its suppression list)
 * fail the delivery and give its papers back, so a later digest may carry them: they
 * never got them. An email.failed for a reason that passes (a spent quota) puts the
 * digest back to be sent again, a bounded number of times, and a spent quota pauses the
 * sender until it resets.
 * The address is compared case-insensitively, like everywhere else: a complaint about
 * `Mixed@Example.org` suppresses `mixed@example.org`.
 * An event is stored with its address and whole payload only while the address (in `to`,
 * or `data.email` for suppression and contact events) is a subscriber's we hold. Resend
 * keeps reporting on mail sent before an erasure (a digest delivered late, a click on an
 * old link, a bounce), and storing those events whole would put the erased address (and a
 * click's IP address) back; for them only what dedupe and the stats read is kept
 * (`redactedPayload`), and the suppression still applies by hash.
 * That holds for an event that finds a delivery too: an erased person's deliveries are
 * deleted in steps after them, so a delivery counts as held only while its subscriber is.
 */
import { z } from 'zod';
import { findDeliveryForEvent } from '../db/deliveries';
import { getSubscriberByEmail, getSubscriberForLink } from '../db/subscribers';
import type { SuppressionReason } from '../db/suppressions';
import { type EventEffects, storeWebhookEvent } from '../db/webhook-events';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { logEvent } from '../lib/log';
import { nowIso, toStoredTime } from '../lib/time';
import { suppressionHashes } from '../subscriptions/identity';
import { normalizeEmail } from '../subscriptions/schema';
import { activeQuotaPause, pauseForQuota, quotaResetsAt } from './quota';

/** Resend's event envelope; unknown fields are kept in the stored payload. */
const eventSchema = z.object({
  type: z.string().min(1),
  created_at: z.string().optional(),
  data: z
    .object({
      email_id: z.string().optional(),
      to: z.union([z.array(z.string()), z.string()]).optional(),
      created_at: z.string().optional(),
      tags: z
        .union([
          z.record(z.string(), z.unknown()),
          z.array(z.object({ name: z.string(), value: z.unknown() }).passthrough()),
        ])
        .nullish(),
      bounce: z.object({ type: z.string().optional() }).passthrough().nullish(),
      failed: z.object({ reason: z.unknown().optional() }).passthrough().nullish(),
    })
    .passthrough()
    .default({}),
});

export type ResendEvent = z.infer<typeof eventSchema>;

export interface EventClassification {
  /** The address the event names (first recipient, or `data.email`), normalised (domain lower-cased), or null. */
  recipient: string | null;
  emailId: string | null;
  /** Our `delivery` tag, when the email was a digest. */
  deliveryTag: string | null;
  /** Suppress the recipient for good, and why; null for events that only inform. */
  suppression: SuppressionReason | null;
  /**
   * When the event happened (Resend's time) in the stored form (lib/time.ts): it orders the
   * events on a delivery and may become its sent_at, both compared as text with our own
   * times, and Resend writes `2026-05-07 08:00:00.123+00` as well as ISO. Null when there
   * is none we can read (the time it arrived is used).
   */
  occurredAt: string | null;
  /**
   * Set for the events saying Resend never sent the email (email.failed, email.suppressed):
   * the event and Resend's reason ("email.failed: reached_daily_quota"), for the delivery.
   */
  failure: string | null;
  /**
   * Set when that failure passes (email.failed for a quota or a passing fault): the digest
   * is sent again; `quota` names the Resend quota it reports spent, if any.
   */
  temporary: { quota: 'daily' | 'monthly' | null } | null;
}

/**
 * How many times a digest Resend accepted and then failed for a passing reason is sent
 * again (each time under a new Idempotency-Key) before it fails for good: a failure that
 * keeps coming back must not loop. Daily digests also expire 20 h after planning.
 */
export const TEMPORARY_FAILURE_RESENDS = 3;

/** Parses the verified body; a body that is not a Resend event is 400/422 with the reason. */
export function parseResendEvent(body: string): ResendEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new AppError(400, 'invalid_json', 'The webhook body is not JSON');
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError(422, 'invalid_event', 'The webhook body is not a Resend event', {
      body: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  return parsed.data;
}

/** Resend sends tags as an object ({name: value}) today and as [{name, value}] in older payloads. */
function tagValue(tags: ResendEvent['data']['tags'], name: string): string | null {
  if (!tags) return null;
  const value = Array.isArray(tags) ? tags.find((tag) => tag.name === name)?.value : tags[name];
  return typeof value === 'string' && value ? value : null;
}

/**
 * The address an event names: the first of `to` on email events, `data.email` on the
 * others that name one (suppression.added/removed, contact.*), so an event about an
 * address we no longer hold is stored redacted whatever its kind.
 */
function recipient(event: ResendEvent): string | null {
  const { email } = event.data;
  const to = (Array.isArray(event.data.to) ? event.data.to[0] : event.data.to) ?? email;
  if (typeof to !== 'string' || !to) return null;
  const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
  return normalizeEmail(address) ?? address.trim();
}

function suppressionReason(event: ResendEvent): SuppressionReason | null {
  switch (event.type) {
    case 'email.bounced':
      return event.data.bounce?.type?.toLowerCase() === 'permanent' ? 'bounced' : null;
    case 'email.complained':
      return 'complained';
    case 'email.suppressed':
      return 'suppressed';
    default:
      return null;
  }
}

/** Resend's words for why it did not send the email, or null when the event says it did. */
function failureReason(event: ResendEvent): string | null {
  const words = (value: unknown) =>
    typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : 'unknown';
  switch (event.type) {
    case 'email.failed':
      return `email.failed: ${words(event.data.failed?.reason)}`;
    case 'email.suppressed': {
      // { message, type } in Resend's payload; read loosely, the rest of the event still counts.
      const suppressed = event.data.suppressed;
      const detail =
        suppressed && typeof suppressed === 'object' ? (suppressed as Record<string, unknown>) : {};
      return `email.suppressed: ${words(detail.message ?? detail.type)}`;
    }
    default:
      return null;
  }
}

/**
 * Whether Resend's reason for an email.failed passes. Resend documents `reached_daily_quota`
 * and names quota limits among the causes, besides invalid recipients, API key and domain
 * problems: a quota resets, and so do a rate limit, a timeout or an unavailable service.
 * Any other reason, or none, is taken as permanent: sending again would fail again, and a
 * digest must not be sent twice for a guess.
 */
function temporaryFailure(event: ResendEvent): EventClassification['temporary'] {
  const reason = event.type === 'email.failed' ? event.data.failed?.reason : null;
  if (typeof reason !== 'string') return null;
  const quota = /(daily|monthly)_quota/i.exec(reason)?.[1]?.toLowerCase();
  if (quota === 'daily' || quota === 'monthly') return { quota };
  return /rate_?limit|temporar|time_?out|timed_out|unavailable|try_again|throttl/i.test(reason)
    ? { quota: null }
    : null;
}

export function classifyResendEvent(event: ResendEvent): EventClassification {
  return {
    recipient: recipient(event),
    emailId: event.data.email_id ?? null,
    deliveryTag: tagValue(event.data.tags, 'delivery'),
    suppression: suppressionReason(event),
    occurredAt: toStoredTime(event.created_at) ?? toStoredTime(event.data.created_at),
    failure: failureReason(event),
    temporary: temporaryFailure(event),
  };
}

/**
 * What is kept of an event naming an address we do not hold: its type, times, message id,
 * our tags (ids, never addresses) and the bounce's type (the admin stats count permanent
 * bounces); never the recipient, a bounce message quoting it or a click's IP address.
 */
export function redactedPayload(event: ResendEvent): string {
  const { bounce } = event.data;
  return JSON.stringify({
    type: event.type,
    created_at: event.created_at,
    data: {
      email_id: event.data.email_id,
      created_at: event.data.created_at,
      tags: event.data.tags ?? undefined,
      bounce: bounce ? { type: bounce.type, subType: bounce.subType } : undefined,
    },
    redacted: 'the recipient is not a subscriber we hold',
  });
}

export interface RecordedEvent {
  /** False when this svix-id was seen before (nothing re-applied). */
  fresh: boolean;
  deliveryId: string | null;
  suppressed: SuppressionReason | null;
}

/** Stores the event once, with its effects on the delivery and the subscriber, in one batch. */
export async function recordResendEvent(
  app: AppContext,
  svixId: string,
  body: string,
  event: ResendEvent,
): Promise<RecordedEvent> {
  const { db } = app;
  const meaning = classifyResendEvent(event);
  const effects: EventEffects = {};
  const delivery = event.type.startsWith('email.')
    ? await findDeliveryForEvent(db, meaning.deliveryTag, meaning.emailId)
    : null;
  // A delivery found does not mean its person is held: erasure deletes the history keyed
  // by their id in steps after the person is gone (src/db/erasure.ts), so a late event can
  // still find a delivery of someone erased. Its subscriber must exist (an id merged away
  // by migration 0005 resolves to the one it became); otherwise the address decides.
  const owner = delivery
    ? ((await getSubscriberForLink(db, delivery.subscriberId))?.subscriber ?? null)
    : null;
  const holder = owner ?? (meaning.recipient ? await getSubscriberByEmail(db, meaning.recipient) : null);
  if (delivery) {
    effects.delivery = {
      id: delivery.id,
      eventAt: meaning.occurredAt ?? nowIso(),
      resendId: meaning.emailId,
      ...(meaning.failure ? { failure: `Resend could not send it (${meaning.failure})` } : {}),
      ...(meaning.failure && meaning.temporary ? { sendAgain: TEMPORARY_FAILURE_RESENDS } : {}),
    };
  }
  if (meaning.suppression && meaning.recipient) {
    effects.suppress = {
      subscriberId: holder?.id ?? null,
      email: meaning.recipient,
      hashes: await suppressionHashes(app.config.EMAIL_HASH_SECRET, meaning.recipient),
      reason: meaning.suppression,
    };
  }
  // Before the event is stored: should this fail, Resend's retry of the event (found stored
  // otherwise, and skipped) sets it. Setting it twice changes nothing.
  const quota = meaning.temporary?.quota;
  if (quota) await pauseForSpentQuota(app, quota, meaning.failure ?? '', meaning.occurredAt);
  const whole = {
    svixId,
    type: event.type,
    emailId: meaning.emailId,
    recipient: meaning.recipient,
    payload: body,
  };
  const fresh = await storeWebhookEvent(
    db,
    holder
      ? { ...whole, heldBy: { subscriberId: holder.id, redactedPayload: redactedPayload(event) } }
      : !meaning.recipient && !delivery
        ? whole
        : { ...whole, recipient: null, payload: redactedPayload(event) },
    effects,
  );
  return {
    fresh,
    deliveryId: delivery?.id ?? null,
    suppressed: fresh ? (effects.suppress?.reason ?? null) : null,
  };
}

/**
 * A quota an email.failed reports spent stops the sender until it resets, as the API's own
 * quota answer does (quota.ts): a digest put back to be sent again then waits for the reset
 * (the planner re-enqueues nothing while paused) instead of spending its resends on the
 * same spent quota. Counted from the event's time, so a late event about a period already
 * over pauses nothing, and a longer pause in force (the month's) is kept.
 */
async function pauseForSpentQuota(
  app: AppContext,
  period: 'daily' | 'monthly',
  reason: string,
  occurredAt: string | null,
): Promise<void> {
  const now = new Date();
  const at = occurredAt ? new Date(occurredAt) : now;
  const until = quotaResetsAt(period, at).getTime();
  if (until <= now.getTime()) return;
  const current = await activeQuotaPause(app.db, now);
  if (current && Date.parse(current.until) >= until) return;
  const pause = await pauseForQuota(app.db, period, reason, at);
  logEvent('resend_quota_paused', { ...pause, source: 'webhook' });
}
