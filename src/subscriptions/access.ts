/**
 * Turns a signed link's token into the subscriber it names, or a clear 4xx. Signature,
 * purpose and expiry are checked by verifyToken; here we add what needs the database: the
 * subscriber must still exist and the token's version must be their current one (bumping
 * token_version, on confirmation or erasure, kills every older link). Malformed, forged or
 * cross-purpose tokens are 400; expired or revoked ones are 410 (they were real once).
 */
import { getSubscriberById } from '../db/subscribers';
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
};

export async function subscriberFromToken(
  app: AppContext,
  token: string | undefined | null,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<{ subscriber: Subscriber; claims: TokenClaims }> {
  const what = WHAT[purpose];
  const check = await verifyToken(app.config.TOKEN_SECRET, token, purpose, now);
  if (!check.ok) {
    if (check.reason === 'expired') {
      throw new AppError(
        410,
        'link_expired',
        purpose === 'confirm'
          ? 'This confirmation link has expired. Sign up again on the home page to get a new one.'
          : `This ${what} has expired.`,
      );
    }
    throw new AppError(
      400,
      'invalid_link',
      `This ${what} is not valid. Check that you opened the whole link from the email (some mail apps break long links across lines).`,
    );
  }
  const subscriber = await getSubscriberById(app.db, check.claims.s);
  if (!subscriber) {
    throw new AppError(
      410,
      'link_revoked',
      `This ${what} no longer works: the subscription it belonged to does not exist any more.`,
    );
  }
  if (check.claims.v !== subscriber.tokenVersion) {
    if (purpose === 'confirm' && subscriber.status === 'active') {
      throw new AppError(
        410,
        'already_confirmed',
        'This confirmation link has already been used: your subscription is active. Use the links at the bottom of any digest to change your preferences.',
      );
    }
    throw new AppError(
      410,
      'link_revoked',
      `This ${what} is no longer valid because a newer one has been sent. Please use the link from your most recent email.`,
    );
  }
  return { subscriber, claims: check.claims };
}
