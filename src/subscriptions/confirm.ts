/**
 * The double opt-in, from the confirmation link. The link names the sign-up request whose
 * settings it applies (mail_requests.settings: only what the visitor gave), so a returning
 * or pending address gets what was asked for only when its owner confirms. Confirming is
 * idempotent for the person clicking: a second click, or the older of two emails, finds
 * the subscription active and shows the confirmed page again instead of an error.
 * Confirmation bumps token_version (single-use link, older links die) and lifts an
 * "erased" suppression: the person has opted back in.
 */
import { getMailRequest, markMailRequestUsedStatement } from '../db/mail-requests';
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

/** What the link would confirm, for the page with the button (GET changes nothing). */
export async function pendingConfirmation(
  app: AppContext,
  token: string | undefined,
): Promise<Confirmation & { schedule: { frequency: Frequency; sendHour: number; timeZone: string } }> {
  const { subscriber, claims } = await subscriberFromToken(app, token, 'confirm');
  if (subscriber.status === 'suppressed') throw SUPPRESSED();
  const settings = await requestedSettings(app, subscriber, claims.x);
  return {
    subscriber,
    already: subscriber.status === 'active',
    schedule: {
      frequency: settings.frequency ?? subscriber.frequency,
      sendHour: settings.sendHour ?? subscriber.sendHour,
      timeZone: settings.timeZone ?? subscriber.timeZone,
    },
  };
}

export async function confirmFromLink(
  app: AppContext,
  token: string | undefined,
  ip: string | null,
  now: Date = new Date(),
): Promise<Confirmation> {
  const { db } = app;
  const { subscriber, claims } = await subscriberFromToken(app, token, 'confirm', now);
  if (subscriber.status === 'active') return { subscriber, already: true };
  if (subscriber.status === 'suppressed') throw SUPPRESSED();
  const settings = await requestedSettings(app, subscriber, claims.x);
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
  if (claims.x) await markMailRequestUsedStatement(db, claims.x, at).run();
  await removeSuppression(db, await addressLookupHashes(app.config.EMAIL_HASH_SECRET, confirmed.email), [
    'erased',
  ]);
  logEvent('subscriber_confirmed', { subscriber: confirmed.id });
  return { subscriber: confirmed, already: false };
}

/** The settings of the sign-up request the link names; none for links without one. */
async function requestedSettings(
  app: AppContext,
  subscriber: Subscriber,
  requestId: string | undefined,
): Promise<ConfirmSettings> {
  if (!requestId) return {};
  const request = await getMailRequest(app.db, requestId);
  if (request?.kind !== 'confirm' || request.subscriberId !== subscriber.id) return {};
  const settings = request.settings ?? {};
  const pick = <T>(value: unknown, type: 'string' | 'number'): T | undefined =>
    typeof value === type ? (value as T) : undefined;
  const interests = pick<string>(settings.interests, 'string');
  return {
    interests,
    categories: interests === undefined ? undefined : categoriesOf(interests),
    frequency: pick<Frequency>(settings.frequency, 'string'),
    sendHour: pick<number>(settings.sendHour, 'number'),
    timeZone: pick<string>(settings.timeZone, 'string'),
    consentMethod: pick<string>(settings.consentMethod, 'string'),
  };
}
