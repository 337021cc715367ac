/**
 * Opening a digest's own links. Current digests carry one short digest token per
 * delivered digest (view in browser and every 👍/👎, see `signDigestToken`); emails sent
 * before that carry the older JSON tokens (a `view` token naming the delivery, a `feedback`
 * token per paper), which keep working for as long as those emails exist. Either way the
 * rules and errors are those of every other signed link (src/subscriptions/access.ts).
 */
import { type DeliveryView, getDeliveryView } from '../db/digest-views';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { subscriberForClaims, subscriberFromToken } from '../subscriptions/access';
import { isDigestToken, verifyDigestToken } from '../tokens';

export interface DigestLink {
  subscriber: Subscriber;
  /** The delivered digest the link belongs to (null for an older per-paper 👍/👎 link). */
  delivery: DeliveryView | null;
  /** The paper an older per-paper 👍/👎 link was signed for. */
  signedPaperId: string | null;
}

const WHAT = { view: 'link', feedback: 'feedback link' } as const;

/**
 * A feed entry's page (feedEntryUrl): the feed's token names the subscriber, and the
 * delivery must be theirs (null otherwise, like a digest never sent).
 */
export async function openFeedEntry(
  app: AppContext,
  token: string | undefined | null,
  deliveryId: string,
): Promise<{ subscriber: Subscriber; delivery: DeliveryView | null }> {
  const { subscriber } = await subscriberFromToken(app, token, 'feed');
  const delivery = await getDeliveryView(app.db, deliveryId);
  return { subscriber, delivery: delivery?.subscriberId === subscriber.id ? delivery : null };
}

export async function openDigestLink(
  app: AppContext,
  token: string | undefined | null,
  purpose: 'view' | 'feedback',
): Promise<DigestLink> {
  if (!isDigestToken(token)) {
    const { subscriber, claims } = await subscriberFromToken(app, token, purpose);
    if (purpose === 'feedback') return { subscriber, delivery: null, signedPaperId: claims.x ?? null };
    const delivery = claims.x ? await getDeliveryView(app.db, claims.x) : null;
    return {
      subscriber,
      delivery: delivery?.subscriberId === subscriber.id ? delivery : null,
      signedPaperId: null,
    };
  }
  const check = await verifyDigestToken(app.config.TOKEN_SECRET, token);
  if (!check.ok) {
    throw new AppError(
      400,
      'invalid_link',
      `This ${WHAT[purpose]} is not valid. Check that you opened the whole link from the email (some mail apps break long links across lines).`,
    );
  }
  const delivery = await getDeliveryView(app.db, check.deliveryId);
  if (!delivery) {
    // The MAC is ours, so the digest existed: it has been deleted since, by the retention
    // pass (src/delivery/retention.ts) or with the subscription.
    const days = app.config.DIGEST_RETENTION_DAYS;
    throw new AppError(
      410,
      'link_revoked',
      days > 0
        ? `This ${WHAT[purpose]} no longer works: its digest has been deleted (digests are kept for ${days} days) or the subscription it belonged to does not exist any more.`
        : `This ${WHAT[purpose]} no longer works: the subscription it belonged to does not exist any more.`,
    );
  }
  // The same checks as every other signed link: the subscriber (or the one a merged-away id
  // became) must exist, the version be current and, for view and 👍/👎, the subscription active.
  const { subscriber } = await subscriberForClaims(
    app,
    { p: purpose, s: delivery.subscriberId, v: check.version, x: delivery.id },
    purpose,
  );
  return { subscriber, delivery, signedPaperId: null };
}
