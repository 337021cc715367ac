/**
 * What happens after a valid sign-up, whatever the channel (form or API). It runs after
 * the answer has been sent (the route hands it to waitUntil), so the answer, and how long
 * it takes, is the same for every address; only the mailbox owner learns which case it
 * was: a new or returning address gets a confirmation email, an active one a "you are
 * already subscribed" email, a suppressed one (bounced, complained) nothing. An address
 * erased earlier may opt in again: the double opt-in is fresh consent.
 *
 * A sign-up never changes an existing subscriber. The settings asked for travel with the
 * confirmation request (mail_requests.settings) and apply only when its link is confirmed
 * (src/subscriptions/confirm.ts), all of them for a row still pending, so nothing an
 * earlier sign-up by someone else typed is ever confirmed; someone typing a stranger's
 * address can at most cause one email to them, within the caps (3 per mailbox per 24 h,
 * 10 minutes apart, counting every "+tag" spelling of it as one; identity.ts; and 4 a day
 * of all the mail anyone can ask for to it, data links included: requested-mail.ts).
 *
 * A sign-up the caps stop (someone fixing a typo and submitting again a minute later)
 * sends nothing, but its settings are held for that mailbox (the newest only; an email
 * sent later supersedes them): the confirm page of a link the owner received shows them
 * beside the email's, and applies them only if the owner chooses them there
 * (confirm.ts). An active subscriber's sign-up holds nothing: it only gets the "already
 * subscribed" email, and a form never changes their settings.
 */
import { dropHeldSignupsBefore, holdSignup, type MailRequest } from '../db/mail-requests';
import { getSubscriberByEmail, insertPendingSubscriber } from '../db/subscribers';
import { getSuppression } from '../db/suppressions';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { buildSignupEmail } from './emails';
import { addressLookupHashes, mailboxHash } from './identity';
import { categoriesOf } from './interests';
import { sendRequestedMail } from './requested-mail';
import type { RequestedSettings, SubscribeInput } from './schema';

export type SignupOutcome =
  | 'created'
  | 'resent'
  | 'already_subscribed'
  | 'suppressed'
  | 'capped'
  /** Capped, and its settings kept for the owner to choose on the confirm page. */
  | 'held';

export interface SignupRequest {
  /** The validated submission (defaults filled in): what a new subscriber starts with. */
  input: SubscribeInput;
  /** Only the settings the visitor actually gave: what a confirmation applies to an existing row. */
  requested: RequestedSettings;
  method: 'form' | 'api';
}

export async function processSignup(
  app: AppContext,
  request: SignupRequest,
  now: Date = new Date(),
): Promise<SignupOutcome> {
  const { db, config } = app;
  const { input } = request;
  const hashes = await addressLookupHashes(config.EMAIL_HASH_SECRET, input.email);
  const suppression = await getSuppression(db, hashes);
  if (suppression && suppression.reason !== 'erased') return logged('suppressed');

  const existing = await getSubscriberByEmail(db, input.email);
  if (existing?.status === 'suppressed') return logged('suppressed');
  const kind = existing?.status === 'active' ? 'already_subscribed' : 'confirm';
  const subscriberId = existing?.id ?? crypto.randomUUID();
  let subscriber: Subscriber | null = existing;
  // What confirming this request applies. A blank field keeps what the owner chose before
  // (an unsubscribed subscriber coming back), but a pending row's settings were typed by
  // whoever first gave the address, perhaps a stranger: confirming applies this sign-up
  // whole, its defaults for what it left blank, so nothing of theirs is ever confirmed.
  const requested: RequestedSettings =
    existing?.status === 'pending'
      ? {
          interests: input.interests,
          frequency: input.frequency,
          sendHour: input.send_hour,
          timeZone: input.time_zone,
        }
      : request.requested;

  const addressHash = await mailboxHash(config.EMAIL_HASH_SECRET, input.email);
  const settings = kind === 'confirm' ? { ...requested, consentMethod: request.method } : null;
  const sent = await sendRequestedMail(
    app,
    { kind, addressHash, subscriberId, settings },
    async (reservation: MailRequest) => {
      subscriber ??= await insertPendingSubscriber(
        db,
        subscriberId,
        {
          email: input.email,
          interests: input.interests,
          categories: categoriesOf(input.interests),
          frequency: input.frequency,
          sendHour: input.send_hour,
          timeZone: input.time_zone,
        },
        request.method,
        nowIso(now),
      );
      // Another sign-up of this address created it a moment ago and mails it itself.
      if (!subscriber) throw new Error('the address was signed up concurrently');
      return buildSignupEmail(config, subscriber, kind, now, {
        id: reservation.id,
        schedule: {
          frequency: requested.frequency ?? subscriber.frequency,
          sendHour: requested.sendHour ?? subscriber.sendHour,
          timeZone: requested.timeZone ?? subscriber.timeZone,
        },
      });
    },
    now,
  );
  if (!sent) {
    // Held only for a row of this very address: a capped sign-up of another "+tag"
    // spelling of the mailbox has no link of its own to be chosen on.
    if (settings && existing) {
      await holdSignup(db, {
        id: crypto.randomUUID(),
        addressHash,
        subscriberId: existing.id,
        settings,
        createdAt: nowIso(now),
      });
      return logged('held');
    }
    return logged('capped');
  }
  await dropHeldSignupsBefore(db, addressHash, sent.createdAt);
  return logged(!existing ? 'created' : kind === 'confirm' ? 'resent' : 'already_subscribed');

  function logged(outcome: SignupOutcome): SignupOutcome {
    logEvent('signup', { action: outcome, method: request.method });
    return outcome;
  }
}
