/**
 * Every signed link we put in an email or page, in one place, so the paths the routes
 * serve and the URLs the emails carry cannot drift apart. Links that must keep working
 * for as long as the email exists (unsubscribe, preferences, feedback, view, feed) do not
 * expire; all but unsubscribe die when the subscriber's token_version is bumped (a new
 * confirmation) and stop working while the subscriber is not active; unsubscribe works
 * from any email the subscriber was sent. Confirmation links expire with the
 * pending sign-up and name the request whose settings they apply. Links that can hand
 * over an account's data (export, erase) are only ever mailed on request and expire soon.
 *
 * A digest's own links (view in browser, 👍/👎 on each paper) share one short token per
 * delivered digest (see `signDigestToken`); the paper and the vote are plain parameters.
 * A subscriber's own links (unsubscribe, preferences, feed) do not depend on the digest,
 * so they are computed once per subscriber and token version and remembered (bounded).
 */
import type { Config } from './env';
import { signDigestToken, signToken, type TokenPurpose } from './tokens';

export const CONFIRM_TTL_DAYS = 7;
/** Lifetime of the mailed "download my data" and "delete my data" links. */
export const DATA_LINK_TTL_MINUTES = 60;

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

function signedUrl(
  config: Config,
  path: string,
  purpose: TokenPurpose,
  subscriber: LinkSubject,
  extra: { x?: string; e?: number } = {},
): Promise<string> {
  // The URL is its base and the token (tokens are base64url and '.', which URLSearchParams
  // would leave as they are): no URL parsed per link.
  const base = linkBase(config, path);
  return signToken(config.TOKEN_SECRET, {
    p: purpose,
    s: subscriber.id,
    v: subscriber.tokenVersion,
    ...(extra.e !== undefined ? { e: extra.e } : {}),
    ...(extra.x !== undefined ? { x: extra.x } : {}),
  }).then((token) => base + token);
}

const basesByPath = new WeakMap<object, Map<string, string>>();

/** `path` resolved against PUBLIC_URL, up to its token: `https://…/unsubscribe?token=`. */
function linkBase(config: Pick<Config, 'PUBLIC_URL'>, path: string): string {
  let bases = basesByPath.get(config);
  if (!bases) {
    bases = new Map();
    basesByPath.set(config, bases);
  }
  let base = bases.get(path);
  if (base === undefined) {
    base = `${new URL(path, `${config.PUBLIC_URL}/`).toString()}?token=`;
    bases.set(path, base);
  }
  return base;
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

export function feedUrl(config: Config, subscriber: LinkSubject): Promise<string> {
  return signedUrl(config, '/feed', 'feed', subscriber);
}

/**
 * A feed entry's web page: its digest, opened with the feed's own token (the same claims,
 * so no more than the feed can open) and the delivery as a plain parameter. Not the
 * digest's token, which also votes: a feed reader holds the feed, not the mailbox.
 */
export async function feedEntryUrl(
  config: Config,
  subscriber: LinkSubject,
  deliveryId: string,
): Promise<string> {
  return `${await signedUrl(config, '/digest', 'feed', subscriber)}&digest=${encodeURIComponent(deliveryId)}`;
}

/** Each link's absolute URL up to its token: `https://…/unsubscribe?token=`. */
export interface LinkBases {
  unsubscribe: string;
  preferences: string;
  feedback: string;
  view: string;
  feed: string;
}

const basesByConfig = new WeakMap<object, LinkBases>();

export function linkBases(config: Pick<Config, 'PUBLIC_URL'>): LinkBases {
  let bases = basesByConfig.get(config);
  if (!bases) {
    bases = {
      unsubscribe: linkBase(config, '/unsubscribe'),
      preferences: linkBase(config, '/preferences'),
      feedback: linkBase(config, '/feedback'),
      view: linkBase(config, '/digest'),
      feed: linkBase(config, '/feed'),
    };
    basesByConfig.set(config, bases);
  }
  return bases;
}

/** What follows a digest token in a 👍/👎 link: the paper and the vote, plain. */
export function feedbackQuery(paperId: string, vote: 'up' | 'down'): string {
  return `&paper=${encodeURIComponent(paperId)}&vote=${vote}`;
}

/** The token of one delivered digest (its view and 👍/👎 links). */
export function digestToken(config: Config, subscriber: LinkSubject, deliveryId: string): Promise<string> {
  return signDigestToken(config.TOKEN_SECRET, deliveryId, subscriber.tokenVersion);
}

export async function viewInBrowserUrl(
  config: Config,
  subscriber: LinkSubject,
  deliveryId: string,
): Promise<string> {
  return linkBases(config).view + (await digestToken(config, subscriber, deliveryId));
}

export async function feedbackUrl(
  config: Config,
  subscriber: LinkSubject,
  deliveryId: string,
  paperId: string,
  vote: 'up' | 'down',
): Promise<string> {
  return (
    linkBases(config).feedback +
    (await digestToken(config, subscriber, deliveryId)) +
    feedbackQuery(paperId, vote)
  );
}

export interface SubscriberLinks {
  unsubscribe: string;
  preferences: string;
  feed: string;
}

/** Subscribers whose own links are remembered, per config (≈ 0.6 KB each). */
const SUBSCRIBER_LINKS_CACHED = 2_000;
const linksByConfig = new WeakMap<object, Map<string, Promise<SubscriberLinks>>>();

/**
 * A subscriber's own links, signed once per (subscriber, token version) and remembered in
 * a small LRU, so a digest's footer and its List-Unsubscribe header, or a subscriber met
 * again in the same isolate, do not sign them again.
 */
export function subscriberLinks(config: Config, subscriber: LinkSubject): Promise<SubscriberLinks> {
  let cache = linksByConfig.get(config);
  if (!cache) {
    cache = new Map();
    linksByConfig.set(config, cache);
  }
  const key = `${subscriber.tokenVersion}:${subscriber.id}`;
  let links = cache.get(key);
  if (links) {
    cache.delete(key); // re-inserted below: most recently used last
  } else {
    const { id, tokenVersion } = subscriber;
    links = Promise.all([
      unsubscribeUrl(config, { id, tokenVersion }),
      preferencesUrl(config, { id, tokenVersion }),
      feedUrl(config, { id, tokenVersion }),
    ]).then(([unsubscribe, preferences, feed]) => ({ unsubscribe, preferences, feed }));
    links.catch(() => cache.delete(key));
  }
  cache.set(key, links);
  if (cache.size > SUBSCRIBER_LINKS_CACHED) cache.delete(cache.keys().next().value!);
  return links;
}
