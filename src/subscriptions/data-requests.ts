/**
 * "Download my data" and "delete my data" start with an email, never with a link someone
 * may merely hold: the preferences link is in every digest, and a forwarded digest must
 * not hand over or erase the account. Asking (on the preferences page, or at /data with
 * just the address) mails a link valid for an hour to the address as it is now; export
 * and erasure happen on the pages that link opens, erasure after a confirmation. Requests
 * by address answer the same whatever the address is (the work runs after the answer);
 * both are capped per address, and with all other mail asked for to it (requested-mail.ts).
 */
import { recentMailRequests } from '../db/mail-requests';
import { getSubscriberByEmail } from '../db/subscribers';
import type { Subscriber } from '../domain';
import { type AppContext, type Config, mailboxAddress } from '../env';
import { logEvent } from '../lib/log';
import { buildDataLinkEmail } from './emails';
import { mailboxHash } from './identity';
import { retryInMinutes, sendRequestedMail } from './requested-mail';

export type DataLinkKind = 'export' | 'erase';

/**
 * Where someone writes for their data when no link can be mailed to them (a bounced or
 * complaining address is never mailed again): where replies to our emails go, REPLY_TO or
 * MAIL_FROM's address, so it reaches whoever already answers them.
 */
export function dataContactAddress(config: Pick<Config, 'MAIL_FROM' | 'REPLY_TO'>): string {
  return config.REPLY_TO ?? mailboxAddress(config.MAIL_FROM);
}

/** Not sent: `retryInMinutes` after the last link, or null when today's allowance is used up. */
export type DataLinkOutcome = { sent: true } | { sent: false; retryInMinutes: number | null };

/** Mails the link to a subscriber we already know (their preferences link was used). */
export async function sendDataLink(
  app: AppContext,
  subscriber: Subscriber,
  kind: DataLinkKind,
  now: Date = new Date(),
): Promise<DataLinkOutcome> {
  const hash = await mailboxHash(app.config.EMAIL_HASH_SECRET, subscriber.email);
  const sent = await sendRequestedMail(
    app,
    { kind, addressHash: hash, subscriberId: subscriber.id },
    () => buildDataLinkEmail(app.config, subscriber, kind, now),
    now,
  );
  logEvent('data_link', { kind, subscriber: subscriber.id, sent: sent !== null });
  if (sent) return { sent: true };
  const recent = await recentMailRequests(app.db, hash, now);
  return { sent: false, retryInMinutes: retryInMinutes(recent, kind, now) };
}

/** The /data form: mails the link if the address is ours and can be mailed; silent otherwise. */
export async function requestDataLinkByAddress(
  app: AppContext,
  email: string,
  kind: DataLinkKind,
  now: Date = new Date(),
): Promise<void> {
  const subscriber = await getSubscriberByEmail(app.db, email);
  // Bounced or complained addresses are not mailed again, not even this.
  if (!subscriber || subscriber.status === 'suppressed') {
    logEvent('data_link', { kind, sent: false, reason: subscriber ? 'suppressed' : 'unknown' });
    return;
  }
  await sendDataLink(app, subscriber, kind, now);
}
