/**
 * What an operator does for one address, from the admin API: look it up (status, settings,
 * whether and why it is suppressed, how many digests and votes it has: never a token or
 * anything a link could be made from), lift a suppression (a bounce after the owner fixed
 * their mailbox), and erase it on a request received by email, through the same erasure
 * as the person's own "delete my data" (erase.ts). Suppressions are keyed hashes, so each
 * action looks them up under every hash of the address (identity.ts), mailbox included.
 *
 * Lifting never subscribes anyone: a suppressed row becomes unsubscribed with its older
 * links dead, and digests start only after the owner signs up and confirms again, the
 * consent being theirs, not the operator's. A complaint is lifted only when the request
 * says so (`complaint: true`): the person said we were spam, and only their own later
 * request should undo that. Lifting leaves an "erased" record alone (signing up and
 * confirming again lifts that), and keeps one for an address no subscriber holds any more:
 * erasing a bounced address records the bounce, and only the erasure should remain. The
 * audit lines name the subscriber's random id, never the address.
 */
import { countVotes } from '../db/feedback';
import {
  countDeliveries,
  getSubscriberByEmail,
  getSubscriberSummary,
  liftSuppressedSubscriberStatement,
} from '../db/subscribers';
import {
  getSuppression,
  keepAsErasedStatement,
  listSuppressions,
  removeSuppressionStatement,
  type SuppressionReason,
} from '../db/suppressions';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { eraseSubscriber } from './erase';
import { addressLookupHashes } from './identity';

/** The suppression a sign-up would be refused for (or the "erased" record), and since when. */
function suppressionView(suppression: { reason: SuppressionReason; created_at: string } | null) {
  return suppression ? { reason: suppression.reason, since: suppression.created_at } : null;
}

/** Everything an operator needs to answer "what about this address?", in JSON terms. */
export async function lookupAddress(app: Pick<AppContext, 'db' | 'config'>, email: string) {
  const { db } = app;
  const [subscriber, suppression] = await Promise.all([
    getSubscriberSummary(db, email),
    addressLookupHashes(app.config.EMAIL_HASH_SECRET, email).then((hashes) => getSuppression(db, hashes)),
  ]);
  logEvent('admin_lookup', { subscriber: subscriber?.id ?? null, suppressed: suppression?.reason ?? null });
  if (!subscriber) return { email, subscriber: null, suppression: suppressionView(suppression) };
  const [deliveries, votes] = await Promise.all([
    countDeliveries(db, subscriber.id),
    countVotes(db, subscriber.id),
  ]);
  return {
    email,
    subscriber: {
      ...subscriber,
      // Those still kept (DIGEST_RETENTION_DAYS).
      deliveries: deliveries.byStatus,
      last_sent_at: deliveries.lastSentAt,
      votes,
    },
    suppression: suppressionView(suppression),
  };
}

/** The reasons a lift removes; a complaint only when named. "erased" never: see above. */
const LIFTED: readonly SuppressionReason[] = ['bounced', 'suppressed'];

export async function liftSuppression(
  app: Pick<AppContext, 'db' | 'config'>,
  email: string,
  options: { complaint: boolean },
  now: Date = new Date(),
) {
  const { db } = app;
  const hashes = await addressLookupHashes(app.config.EMAIL_HASH_SECRET, email);
  const [subscriber, recorded] = await Promise.all([
    getSubscriberByEmail(db, email),
    listSuppressions(db, hashes),
  ]);
  const found = [
    ...recorded.map((row) => row.reason).filter((reason) => reason !== 'erased'),
    ...(subscriber?.status === 'suppressed' ? [subscriber.suppressedReason ?? 'suppressed'] : []),
  ];
  if (found.includes('complained') && !options.complaint) {
    throw new AppError(
      409,
      'complaint_not_lifted',
      'This address reported a digest as spam. Lift that only if its owner has asked in writing to get digests again, by sending "complaint": true. Nothing was changed.',
    );
  }
  const reasons = options.complaint ? [...LIFTED, 'complained' as const] : [...LIFTED];
  const [rows, row] = await db.batch([
    // No subscriber holds the address: their data was erased (a bounce outranks the
    // "erased" record erasure wrote), so the record that stops imports must remain.
    subscriber ? removeSuppressionStatement(db, hashes, reasons) : keepAsErasedStatement(db, hashes, reasons),
    liftSuppressedSubscriberStatement(db, email, reasons, nowIso(now)),
  ]);
  const removed = rows?.meta.changes ?? 0;
  const unsuppressed = (row?.meta.changes ?? 0) > 0;
  const lifted = removed > 0 || unsuppressed;
  logEvent('admin_suppression_lifted', {
    subscriber: subscriber?.id ?? null,
    lifted,
    reasons: [...new Set(found)],
    records: removed,
  });
  const erased = recorded.some((entry) => entry.reason === 'erased');
  return {
    email,
    lifted,
    reasons: lifted ? [...new Set(found)] : [],
    subscriber: subscriber
      ? { id: subscriber.id, status: unsuppressed ? 'unsubscribed' : subscriber.status }
      : null,
    message: lifted
      ? `Lifted. Nothing is sent until the owner signs up again and confirms${subscriber ? '' : ' (no subscriber holds the address: it stays recorded as erased, so no import brings it back)'}. If Resend suppressed the address too, remove it from Resend’s suppression list, or Resend will refuse the mail and the address will be suppressed again.`
      : erased
        ? 'Nothing to lift: the address was erased at its owner’s request. Signing up and confirming again lifts that.'
        : 'Nothing to lift: this address is not suppressed.',
  };
}

/** A GDPR erasure asked for by email: the person's own erasure, for the subscriber with this address. */
export async function eraseAddress(app: Pick<AppContext, 'db' | 'config' | 'planQueue'>, email: string) {
  const subscriber = await getSubscriberByEmail(app.db, email);
  const erased = subscriber ? await eraseSubscriber(app, subscriber) : false;
  logEvent('admin_erase', { subscriber: subscriber?.id ?? null, erased });
  if (erased) {
    return {
      email,
      erased: true,
      message:
        'Erased: the subscriber, their settings, links and the mail about them are gone; their digest history goes within minutes. Only a keyed hash of the address is kept, so no import brings it back.',
    };
  }
  const suppression = await getSuppression(
    app.db,
    await addressLookupHashes(app.config.EMAIL_HASH_SECRET, email),
  );
  return {
    email,
    erased: false,
    message:
      suppression?.reason === 'erased'
        ? 'Nothing to erase: this address was erased before; only a keyed hash of it is kept.'
        : 'Nothing to erase: no subscriber has this address.',
  };
}
