/**
 * Every signed link we put in an email or page, in one place, so the paths the routes
 * serve and the URLs the emails carry cannot drift apart. Links that must keep working
 * for as long as the email exists (unsubscribe, preferences, feedback, view, feed) do not
 * expire; they die when the subscriber's token_version is bumped, and all but unsubscribe
 * stop working while the subscriber is not active. Confirmation links expire with the
 * pending sign-up and name the request whose settings they apply. Links that can hand
 * over an account's data (export, erase) are only ever mailed on request and expire soon.
 */
import type { Config } from './env';
import { signToken, type TokenPurpose } from './tokens';

export const CONFIRM_TTL_DAYS = 7;
/** Lifetime of the mailed "download my data" and "delete my data" links. */
export const DATA_LINK_TTL_MINUTES = 60;

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

async function signedUrl(
  config: Config,
  path: string,
  purpose: TokenPurpose,
  subscriber: LinkSubject,
  extra: { x?: string; e?: number; query?: Record<string, string> } = {},
): Promise<string> {
  const token = await signToken(config.TOKEN_SECRET, {
    p: purpose,
    s: subscriber.id,
    v: subscriber.tokenVersion,
    ...(extra.e !== undefined ? { e: extra.e } : {}),
    ...(extra.x !== undefined ? { x: extra.x } : {}),
  });
  const url = new URL(path, `${config.PUBLIC_URL}/`);
  url.searchParams.set('token', token);
  for (const [name, value] of Object.entries(extra.query ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

/** `requestId` names the sign-up request (mail_requests row) whose settings confirming applies. */
export function confirmUrl(
  config: Config,
  subscriber: LinkSubject,
  now: Date = new Date(),
  requestId?: string,
): Promise<string> {
  const expires = Math.floor(now.getTime() / 1000) + CONFIRM_TTL_DAYS * 86_400;
  return signedUrl(config, '/confirm', 'confirm', subscriber, {
    e: expires,
    ...(requestId ? { x: requestId } : {}),
  });
}

/** The mailed, short-lived link to download (`export`) or erase (`erase`) one's data. */
export function dataLinkUrl(
  config: Config,
  subscriber: LinkSubject,
  purpose: 'export' | 'erase',
  now: Date = new Date(),
): Promise<string> {
  const expires = Math.floor(now.getTime() / 1000) + DATA_LINK_TTL_MINUTES * 60;
  return signedUrl(config, `/data/${purpose}`, purpose, subscriber, { e: expires });
}

export function unsubscribeUrl(config: Config, subscriber: LinkSubject): Promise<string> {
  return signedUrl(config, '/unsubscribe', 'unsubscribe', subscriber);
}

export function preferencesUrl(config: Config, subscriber: LinkSubject): Promise<string> {
  return signedUrl(config, '/preferences', 'preferences', subscriber);
}

/** One token per (subscriber, paper); the vote is a plain parameter so 👍 and 👎 share it. */
export function feedbackUrl(
  config: Config,
  subscriber: LinkSubject,
  paperId: string,
  vote: 'up' | 'down',
): Promise<string> {
  return signedUrl(config, '/feedback', 'feedback', subscriber, { x: paperId, query: { vote } });
}

export function viewInBrowserUrl(
  config: Config,
  subscriber: LinkSubject,
  deliveryId: string,
): Promise<string> {
  return signedUrl(config, '/digest', 'view', subscriber, { x: deliveryId });
}

export function feedUrl(config: Config, subscriber: LinkSubject): Promise<string> {
  return signedUrl(config, '/feed', 'feed', subscriber);
}
