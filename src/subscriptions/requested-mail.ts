/**
 * Sending an email someone asked for on our site, within the per-mailbox caps (each
 * kind's own, and one on all kinds together). A row is reserved in mail_requests first
 * (one conditional INSERT: the caps hold however many IPs, letter cases, "+tags" or
 * concurrent requests are used), then the email is sent under an idempotency key derived
 * from that row, so a retried send is never delivered twice, in a slot of the window the
 * digests share (a 429 is waited out and the request repeated, and so is one whose answer
 * was lost). A send that fails gives its reservation back and throws, so the owner can try
 * again and the failure is logged by whoever runs this (often in the background, after
 * the answer).
 */
import {
  type MailCap,
  type MailKind,
  type MailLimits,
  type MailRequest,
  releaseMailRequest,
  reserveMailRequest,
} from '../db/mail-requests';
import { sendPaced } from '../delivery/pacer';
import { createTransport, type OutgoingEmail } from '../delivery/transport';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { logError } from '../lib/log';

/** Sign-up mail: at most 3 per mailbox (identity.ts: mailboxKey) per 24 h, at least 10 minutes apart. */
export const SIGNUP_CAP: MailCap = {
  kinds: ['confirm', 'already_subscribed'],
  perDay: 3,
  minGapMs: 10 * 60_000,
};

export const MAIL_CAPS: Record<MailKind, MailCap> = {
  confirm: SIGNUP_CAP,
  already_subscribed: SIGNUP_CAP,
  export: { kinds: ['export'], perDay: 3, minGapMs: 2 * 60_000 },
  erase: { kinds: ['erase'], perDay: 3, minGapMs: 2 * 60_000 },
};

/**
 * All of the above to one mailbox together, whatever the kinds: at most 4 per 24 h. The
 * kinds' own caps alone let anyone who knows an address have it mailed 9 times a day;
 * 4 still leaves its owner a confirmation, one more after a typo, and both data links.
 */
export const MAILBOX_PER_DAY = 4;

const mailLimits = (kind: MailKind): MailLimits => ({
  ...MAIL_CAPS[kind],
  mailboxPerDay: MAILBOX_PER_DAY,
});

/**
 * When a refused request of `kind` may be asked for again, given the mailbox's requests of
 * the last 24 h: minutes until its kind's gap ends, or null when a daily cap (its kind's
 * or the mailbox's) is used up, which the answer words as "ask again tomorrow".
 */
export function retryInMinutes(
  recent: readonly Pick<MailRequest, 'kind' | 'createdAt'>[],
  kind: MailKind,
  now: Date,
): number | null {
  const cap = MAIL_CAPS[kind];
  const ofKinds = recent.filter((request) => cap.kinds.includes(request.kind));
  if (recent.length >= MAILBOX_PER_DAY || ofKinds.length >= cap.perDay) return null;
  const latest = Math.max(0, ...ofKinds.map((request) => Date.parse(request.createdAt)));
  const next = latest + cap.minGapMs;
  return next > now.getTime() ? Math.ceil((next - now.getTime()) / 60_000) : null;
}

/**
 * How long one email may wait for a send slot or out a 429: it is sent in the background
 * after the answer, and waitUntil work is cut 30 s after the response.
 */
const SEND_BUDGET_MS = 20_000;

export interface MailToSend {
  kind: MailKind;
  addressHash: string;
  subscriberId: string;
  settings?: Record<string, unknown> | null;
}

/**
 * Reserves, builds (given the reservation, e.g. to name it in a link) and sends one email.
 * Null when the address is at its cap (nothing sent); throws when sending failed.
 */
export async function sendRequestedMail(
  app: AppContext,
  mail: MailToSend,
  build: (request: MailRequest) => Promise<OutgoingEmail>,
  now: Date,
): Promise<MailRequest | null> {
  const request = await reserveMailRequest(
    app.db,
    { id: crypto.randomUUID(), settings: null, ...mail },
    mailLimits(mail.kind),
    now,
  );
  if (!request) return null;
  try {
    const email = await build(request);
    const result = await sendPaced(app.db, createTransport(app.config, app.db), [email], {
      idempotencyKey: `mail-request-${request.id}`,
      configuredRate: app.config.RESEND_RATE_PER_SEC,
      budgetMs: SEND_BUDGET_MS,
    });
    // A conflict under the reservation's own key: an earlier ask of this request got through.
    if (result.kind !== 'sent' && result.kind !== 'idempotency_conflict')
      throw new Error(`${result.kind}: ${result.message}`);
  } catch (error) {
    await releaseMailRequest(app.db, request.id);
    // Resend's own words (account, domain, key restrictions) go to the log, not to the visitor.
    logError('requested_mail_failed', error, { kind: mail.kind });
    throw new AppError(
      503,
      'email_unavailable',
      `We could not send the ${mail.kind.replace('_', ' ')} email just now. Nothing is lost: please try again in a few minutes.`,
    );
  }
  return request;
}
