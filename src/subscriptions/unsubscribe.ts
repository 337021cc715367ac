/**
 * Opening and using an unsubscribe link (the footer link and the RFC 8058 one-click POST).
 * Unlike every other signed link, one whose subscription no longer exists (erased on
 * request, or an unconfirmed sign-up purged) is not an error: nothing is sent to that
 * subscription any more, which is all the link was for. A person clicking it, or a mail
 * provider posting it, is told so with a success, not a "link no longer works" page that
 * reads as if they could not stop the emails (and that a provider records as a failed
 * unsubscribe).
 */
import { getSubscriberForLink, unsubscribeSubscriber } from '../db/subscribers';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { checkLinkSubscriber, verifiedClaims } from './access';

export interface UnsubscribeLink {
  /** Null when the subscription the link belonged to no longer exists. */
  subscriber: Subscriber | null;
}

/** The subscriber a valid unsubscribe link names (or null: gone); forged links are a 400. */
export async function openUnsubscribeLink(
  app: AppContext,
  token: string | undefined | null,
): Promise<UnsubscribeLink> {
  const claims = await verifiedClaims(app, token, 'unsubscribe');
  const found = await getSubscriberForLink(app.db, claims.s);
  if (!found) return { subscriber: null };
  return { subscriber: checkLinkSubscriber(found, claims, 'unsubscribe').subscriber };
}

/**
 * Unsubscribes the link's subscriber. Repeating it changes nothing (`changed: false`); the
 * subscriber returned is as it is after the call, null when it no longer exists.
 */
export async function unsubscribeFromLink(
  app: AppContext,
  token: string | undefined | null,
  now: string,
): Promise<{ subscriber: Subscriber | null; changed: boolean }> {
  const { subscriber } = await openUnsubscribeLink(app, token);
  if (!subscriber) return { subscriber: null, changed: false };
  // By id and status only: a confirmation committing since the link was opened bumped the
  // token version, and every version's unsubscribe link unsubscribes.
  const changed = await unsubscribeSubscriber(app.db, subscriber.id, now);
  return { subscriber: changed ?? subscriber, changed: changed !== null };
}
