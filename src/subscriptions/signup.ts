/**
 * What happens after a valid sign-up, whatever the channel (form or API). The answer the
 * visitor sees is the same in every case; only the mailbox owner learns which case it was:
 * a new or returning address gets a confirmation email, an active one a "you are already
 * subscribed" email, a suppressed one (bounced, complained, blocked) gets nothing. An
 * address erased earlier may opt in again: the double opt-in is fresh consent.
 */

import { getSubscriberByEmail, insertPendingSubscriber, refreshSignup } from '../db/subscribers';
import { getSuppression } from '../db/suppressions';
import { createTransport } from '../delivery/transport';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { logError, logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { buildSignupEmail, type SignupEmailKind } from './emails';
import type { SubscribeInput } from './schema';

export type SignupAction = 'created' | 'resent' | 'already_subscribed' | 'suppressed' | 'throttled';

/**
 * When no Rate Limiting binding is configured, repeated sign-ups of one address still may
 * not turn us into a mail cannon: at most one email per address per this many seconds.
 */
export const FALLBACK_RESEND_SECONDS = 60;

export async function signUp(
  app: AppContext,
  input: SubscribeInput,
  options: { method: 'form' | 'api'; now: Date; perEmailLimiterActive: boolean },
): Promise<SignupAction> {
  const { db } = app;
  const now = nowIso(options.now);
  const fields = {
    email: input.email,
    interests: input.interests,
    frequency: input.frequency,
    sendHour: input.send_hour,
    timeZone: input.time_zone,
  };

  const suppression = await getSuppression(db, input.email);
  if (suppression && suppression.reason !== 'erased') return logged('suppressed');

  const created = await insertPendingSubscriber(db, crypto.randomUUID(), fields, options.method, now);
  if (created) {
    await sendSignupEmail(app, created, 'confirm', options.now);
    return logged('created');
  }

  const existing = await getSubscriberByEmail(db, input.email);
  if (!existing || existing.status === 'suppressed') return logged('suppressed');
  const recentlyTouched =
    options.now.getTime() - Date.parse(existing.updatedAt) < FALLBACK_RESEND_SECONDS * 1000;
  if (!options.perEmailLimiterActive && recentlyTouched) return logged('throttled');

  if (existing.status === 'active') {
    await sendSignupEmail(app, existing, 'already_subscribed', options.now);
    return logged('already_subscribed');
  }
  const refreshed = await refreshSignup(db, existing.id, fields, options.method, now);
  if (!refreshed) return logged('throttled'); // status changed under us (confirmed or erased meanwhile)
  await sendSignupEmail(app, refreshed, 'confirm', options.now);
  return logged('resent');

  function logged(action: SignupAction): SignupAction {
    logEvent('signup', { action, method: options.method });
    return action;
  }
}

async function sendSignupEmail(
  app: AppContext,
  subscriber: Subscriber,
  kind: SignupEmailKind,
  now: Date,
): Promise<void> {
  const email = await buildSignupEmail(app.config, subscriber, kind, now);
  const transport = createTransport(app.config, app.db);
  const result = await transport.sendBatch([email], {
    idempotencyKey: `signup-${kind}-${subscriber.id}-${subscriber.tokenVersion}-${now.getTime()}`,
  });
  if (result.kind === 'sent') return;
  logError('signup_email_failed', new Error(result.message), { kind, result: result.kind });
  throw new AppError(
    503,
    'email_unavailable',
    'We could not send the confirmation email just now. Nothing is lost: please try again in a few minutes.',
  );
}
