/**
 * The double opt-in, from the confirmation link. The link names the sign-up request whose
 * settings it applies (mail_requests.settings: only what the visitor gave), so a returning
 * or pending address gets what was asked for only when its owner confirms. Confirming is
 * idempotent for the person clicking: a second click, or the older of two emails, finds
 * the subscription active and shows the confirmed page again instead of an error.
 * Confirmation bumps token_version (single-use link, older links die) and lifts an
 * "erased" suppression: the person has opted back in.
 *
 * A newer sign-up of the address that the mail caps stopped (signup.ts) is held, not
 * lost: the confirm page shows its settings beside the email's, and the owner may confirm
 * with those instead. The choice names the held sign-up it was shown, so one that a later
 * sign-up (perhaps a stranger's) replaced in between is never applied unseen; the default
 * button confirms the email's settings exactly as before. Confirming either way drops it.
 */
import {
  deleteHeldSignupsStatement,
  getHeldSignup,
  getMailRequest,
  type HeldSignup,
  type MailRequest,
  markMailRequestUsedStatement,
} from '../db/mail-requests';
import { type ConfirmSettings, confirmSubscriber, getSubscriberById } from '../db/subscribers';
import { removeSuppression } from '../db/suppressions';
import type { Frequency, Subscriber } from '../domain';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { hmacSha256Hex } from '../lib/crypto';
import { logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { subscriberFromToken } from './access';
import { addressLookupHashes } from './identity';
import { categoriesOf } from './interests';

export interface Confirmation {
  subscriber: Subscriber;
  /** The subscription was already active (second click): nothing changed. */
  already: boolean;
}

/** Consent evidence without storing the IP: HMAC-SHA256 of the IP keyed by TOKEN_SECRET. */
export function consentIpHash(app: AppContext, ip: string | null): Promise<string | null> {
  return ip ? hmacSha256Hex(app.config.TOKEN_SECRET, `consent-ip:${ip}`) : Promise.resolve(null);
}

const SUPPRESSED = () =>
  new AppError(
    410,
    'suppressed',
    'We cannot send to this address because earlier emails to it bounced or were reported as spam.',
  );

/** The settings a sign-up asks for, as they would be once confirmed. */
export interface ConfirmView {
  interests: string;
  frequency: Frequency;
  sendHour: number;
  timeZone: string;
  /** Stored whatever the frequency (a later switch to weekly starts on it), used only when weekly. */
  sendWeekday: number;
}

/**
 * Whether two sets of settings' weekday is worth showing (and choosing) side by side: only
 * when either is weekly. Two daily sign-ups differing in the day alone offered a choice
 * between two columns that read the same.
 */
export const weekdayShown = (a: ConfirmView, b: ConfirmView) =>
  a.frequency === 'weekly' || b.frequency === 'weekly';

/** Whether the owner has anything to choose between the email's settings and a held sign-up's. */
function settingsDiffer(email: ConfirmView, held: ConfirmView): boolean {
  return (Object.keys(email) as (keyof ConfirmView)[]).some(
    (key) => (key !== 'sendWeekday' || weekdayShown(email, held)) && held[key] !== email[key],
  );
}

/** What the link would confirm, for the page with the button (GET changes nothing). */
export async function pendingConfirmation(
  app: AppContext,
  token: string | undefined,
): Promise<
  Confirmation & {
    /** The email's settings, as they would apply (the page shows their schedule). */
    settings: ConfirmView;
    /** A newer sign-up's different settings, for the owner to choose instead. */
    held: { id: string; settings: ConfirmView } | null;
  }
> {
  const { subscriber, claims } = await subscriberFromToken(app, token, 'confirm');
  if (subscriber.status === 'suppressed') throw SUPPRESSED();
  const request = await linkRequest(app, subscriber, claims.x);
  const settings = viewOf(subscriber, toConfirmSettings(request?.settings));
  const held = subscriber.status === 'active' ? null : await heldFor(app, subscriber, request);
  const heldView = held ? viewOf(subscriber, toConfirmSettings(held.settings)) : null;
  const differs = heldView !== null && settingsDiffer(settings, heldView);
  return {
    subscriber,
    already: subscriber.status === 'active',
    settings,
    held: held && heldView && differs ? { id: held.id, settings: heldView } : null,
  };
}

/**
 * Confirms the link: with the settings of the email it came in, or, when `heldId` is
 * given, with those of the held newer sign-up the confirm page showed under that id.
 */
export async function confirmFromLink(
  app: AppContext,
  token: string | undefined,
  ip: string | null,
  now: Date = new Date(),
  heldId?: string,
): Promise<Confirmation> {
  const { db } = app;
  const { subscriber, claims } = await subscriberFromToken(app, token, 'confirm', now);
  if (subscriber.status === 'active') return { subscriber, already: true };
  if (subscriber.status === 'suppressed') throw SUPPRESSED();
  const request = await linkRequest(app, subscriber, claims.x);
  let settings = toConfirmSettings(request?.settings);
  if (heldId !== undefined) {
    const held = await heldFor(app, subscriber, request);
    if (held?.id !== heldId) {
      throw new AppError(
        409,
        'held_signup_changed',
        'The newer sign-up you chose is no longer waiting: another sign-up replaced it, or it expired. Nothing was confirmed. Open the link from your email again to see what is waiting now.',
      );
    }
    settings = toConfirmSettings(held.settings);
  }
  const at = nowIso(now);
  const confirmed = await confirmSubscriber(
    db,
    subscriber.id,
    claims.v,
    settings,
    await consentIpHash(app, ip),
    at,
  );
  if (!confirmed) {
    // Raced with another click: if that one confirmed, this one sees the same result.
    const current = await getSubscriberById(db, subscriber.id);
    if (current?.status === 'active') return { subscriber: current, already: true };
    throw new AppError(
      410,
      'link_revoked',
      'This confirmation link is no longer valid. Sign up again on the home page to get a new one.',
    );
  }
  await db.batch([
    ...(claims.x ? [markMailRequestUsedStatement(db, claims.x, at)] : []),
    deleteHeldSignupsStatement(db, subscriber.id),
  ]);
  await removeSuppression(db, await addressLookupHashes(app.config.EMAIL_HASH_SECRET, confirmed.email), [
    'erased',
  ]);
  logEvent('subscriber_confirmed', { subscriber: confirmed.id });
  return { subscriber: confirmed, already: false };
}

/** The sign-up request the link names (it carries the email's settings); none for links without one. */
async function linkRequest(
  app: AppContext,
  subscriber: Subscriber,
  requestId: string | undefined,
): Promise<MailRequest | null> {
  if (!requestId) return null;
  const request = await getMailRequest(app.db, requestId);
  return request?.kind === 'confirm' && request.subscriberId === subscriber.id ? request : null;
}

/** The held sign-up this link may offer: one of its subscriber's, newer than the link's email. */
async function heldFor(
  app: AppContext,
  subscriber: Subscriber,
  request: MailRequest | null,
): Promise<HeldSignup | null> {
  const held = await getHeldSignup(app.db, subscriber.id);
  if (!held || (request && held.createdAt <= request.createdAt)) return null;
  return held;
}

/** Stored settings (only what the visitor gave) as confirmSubscriber applies them. */
function toConfirmSettings(settings: Record<string, unknown> | null | undefined): ConfirmSettings {
  if (!settings) return {};
  const pick = <T>(value: unknown, type: 'string' | 'number'): T | undefined =>
    typeof value === type ? (value as T) : undefined;
  const interests = pick<string>(settings.interests, 'string');
  return {
    interests,
    categories: interests === undefined ? undefined : categoriesOf(interests),
    frequency: pick<Frequency>(settings.frequency, 'string'),
    sendHour: pick<number>(settings.sendHour, 'number'),
    timeZone: pick<string>(settings.timeZone, 'string'),
    sendWeekday: pick<number>(settings.sendWeekday, 'number'),
    consentMethod: pick<string>(settings.consentMethod, 'string'),
  };
}

/** What confirming with `settings` would leave: a field not given keeps the subscriber's. */
function viewOf(subscriber: Subscriber, settings: ConfirmSettings): ConfirmView {
  return {
    interests: settings.interests ?? subscriber.interests,
    frequency: settings.frequency ?? subscriber.frequency,
    sendHour: settings.sendHour ?? subscriber.sendHour,
    timeZone: settings.timeZone ?? subscriber.timeZone,
    sendWeekday: settings.sendWeekday ?? subscriber.sendWeekday,
  };
}
