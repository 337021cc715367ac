/**
 * Turns a signed link's token into the subscriber it names, or a clear 4xx. Signature,
 * purpose, expiry and claim types are checked by verifyToken; here we add what needs the
 * database: the subscriber must still exist (an id merged away by migration 0005 resolves
 * to the subscriber it became) and the token's version must be their current one (bumping
 * token_version, on confirmation, kills every older link but unsubscribe). Links that act for a
 * subscriber (preferences, feed, view, feedback, anything new) also require the
 * subscription to be active: after unsubscribing they stop working, so an old or forwarded
 * digest no longer opens the account. Only links whose whole point is to work for any
 * status stay usable: confirm, unsubscribe (RFC 8058: repeating it stays safe) and the
 * short-lived, mailed-on-request export and erase links. Malformed, forged or
 * cross-purpose tokens are 400; expired, revoked or dead ones are 410 (they were real once).
 */
import { getSubscriberForLink, type LinkSubscriber } from '../db/subscribers';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { type TokenClaims, type TokenPurpose, verifyToken } from '../tokens';

const WHAT: Record<TokenPurpose, string> = {
  confirm: 'confirmation link',
  unsubscribe: 'unsubscribe link',
  preferences: 'preferences link',
  feedback: 'feedback link',
  view: 'link',
  feed: 'feed link',
  export: 'download link',
  erase: 'deletion link',
};

/** Purposes that work whatever the subscription's status; every other one needs `active`. */
const ANY_STATUS: ReadonlySet<TokenPurpose> = new Set(['confirm', 'unsubscribe', 'export', 'erase']);

export async function subscriberFromToken(
  app: AppContext,
  token: string | undefined | null,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<{ subscriber: Subscriber; claims: TokenClaims }> {
  return subscriberForClaims(app, await verifiedClaims(app, token, purpose, now), purpose);
}

/** The claims of a link whose signature, purpose and expiry hold; a clear 4xx otherwise. */
export async function verifiedClaims(
  app: AppContext,
  token: string | undefined | null,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<TokenClaims> {
  const what = WHAT[purpose];
  const check = await verifyToken(app.config.TOKEN_SECRET, token, purpose, now);
  if (!check.ok) {
    if (check.reason === 'expired') {
      throw new AppError(
        410,
        'link_expired',
        purpose === 'confirm'
          ? 'This confirmation link has expired. Sign up again on the home page to get a new one.'
          : purpose === 'export' || purpose === 'erase'
            ? `This ${what} has expired (it works for an hour). Ask for a new one on your preferences page or at /data.`
            : `This ${what} has expired.`,
      );
    }
    throw new AppError(
      400,
      'invalid_link',
      `This ${what} is not valid. Check that you opened the whole link from the email (some mail apps break long links across lines).`,
    );
  }
  return check.claims;
}

/**
 * The checks that need the database, for claims a link proved (a verified JSON token, or
 * a digest token whose delivery names the subscriber; see src/digest/access.ts).
 */
export async function subscriberForClaims(
  app: AppContext,
  verified: TokenClaims,
  purpose: TokenPurpose,
): Promise<{ subscriber: Subscriber; claims: TokenClaims }> {
  const found = await getSubscriberForLink(app.db, verified.s);
  if (!found) {
    throw new AppError(
      410,
      'link_revoked',
      `This ${WHAT[purpose]} no longer works: the subscription it belonged to does not exist any more.`,
    );
  }
  return checkLinkSubscriber(found, verified, purpose);
}

/** The rules of `subscriberForClaims` for a subscriber already looked up. */
export function checkLinkSubscriber(
  found: LinkSubscriber,
  verified: TokenClaims,
  purpose: TokenPurpose,
): { subscriber: Subscriber; claims: TokenClaims } {
  const what = WHAT[purpose];
  const { subscriber, alias } = found;
  // A merged-away id's links live on with the version it had, until the survivor's changes.
  // An unsubscribe link of any earlier version still unsubscribes: the email it came in was
  // sent to this subscriber, a mail client may offer its one-click unsubscribe long after
  // (RFC 8058; the law asks for 30 days at least), and all it can do is stop the emails.
  const current =
    purpose === 'unsubscribe' ||
    (alias
      ? verified.v === alias.tokenVersion && subscriber.tokenVersion === alias.subscriberTokenVersion
      : verified.v === subscriber.tokenVersion);
  // The subscriber's current version from here on, so later version checks see the same row.
  const claims: TokenClaims = { ...verified, v: current ? subscriber.tokenVersion : verified.v };
  if (purpose === 'confirm' && subscriber.status === 'active') {
    // A double click, or the older of two confirmation emails: the subscription is active.
    return { subscriber, claims };
  }
  // An older link of someone who has since unsubscribed (e.g. the confirmation email of the
  // subscription they left) was not replaced by a newer one: say what really happened.
  if (!current && subscriber.status === 'unsubscribed') throw notActive(what, subscriber.status);
  if (!current) {
    throw new AppError(
      410,
      'link_revoked',
      `This ${what} is no longer valid because a newer one has been sent. Please use the link from your most recent email.`,
    );
  }
  if (!ANY_STATUS.has(purpose) && subscriber.status !== 'active') throw notActive(what, subscriber.status);
  return { subscriber, claims };
}

/**
 * What a link of `purpose` answers once the subscription is no longer active, for callers
 * that find out after the link was checked (a vote whose write found the status changed).
 */
export function linkNotActive(purpose: TokenPurpose, status: Subscriber['status']): AppError {
  return notActive(WHAT[purpose], status);
}

function notActive(what: string, status: Subscriber['status']): AppError {
  return new AppError(
    410,
    status === 'suppressed' ? 'suppressed' : 'not_subscribed',
    status === 'suppressed'
      ? `This ${what} no longer works: emails to this address bounced or were reported as spam, so we stopped sending.`
      : status === 'unsubscribed'
        ? `This ${what} stopped working when you unsubscribed. To subscribe again, sign up on the home page: we will email you a link to confirm.`
        : `This ${what} works once the subscription is confirmed: use the link in the confirmation email.`,
  );
}
