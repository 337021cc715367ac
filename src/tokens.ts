/**
 * Signed links. A token is `base64url(JSON claims).base64url(HMAC-SHA256)` keyed by
 * TOKEN_SECRET. The purpose is part of the signed claims, so a confirm token never works
 * as an unsubscribe token; the subscriber's token_version is too, so bumping it (e.g. on
 * "delete me" or a suspected leak) kills every older link. Claims hold ids only, never
 * the email address, because links end up in logs and forwarded mail. Every claim's type
 * is checked, not only the signature: a token is trusted input only once it has the shape
 * the code after it assumes.
 */
import { base64UrlDecode, base64UrlEncode, constantTimeEqual, hmacSha256 } from './lib/crypto';

export type TokenPurpose =
  | 'confirm'
  | 'unsubscribe'
  | 'preferences'
  | 'feedback'
  | 'view'
  | 'feed'
  /** Short-lived links mailed on request: download one's data, erase it. */
  | 'export'
  | 'erase';

export interface TokenClaims {
  /** purpose */
  p: TokenPurpose;
  /** subscriber id */
  s: string;
  /** subscriber token version */
  v: number;
  /** expiry, unix seconds; absent = no expiry (unsubscribe links must keep working) */
  e?: number;
  /** purpose-specific subject: paper id for feedback, delivery id for view, sign-up request for confirm */
  x?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const body = base64UrlEncode(encoder.encode(JSON.stringify(claims)));
  const mac = base64UrlEncode(await hmacSha256(secret, body));
  return `${body}.${mac}`;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_purpose' | 'expired' };

/**
 * Verifies signature, purpose and expiry. The caller still compares `claims.v` with the
 * subscriber's current token_version (that needs the database).
 */
export async function verifyToken(
  secret: string,
  token: string | undefined | null,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<TokenCheck> {
  if (!token || token.length > 1024) return { ok: false, reason: 'malformed' };
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = base64UrlEncode(await hmacSha256(secret, body));
  if (!constantTimeEqual(mac, expected)) return { ok: false, reason: 'bad_signature' };
  const bytes = base64UrlDecode(body);
  if (!bytes) return { ok: false, reason: 'malformed' };
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!hasClaimTypes(claims)) return { ok: false, reason: 'malformed' };
  if (claims.p !== purpose) return { ok: false, reason: 'wrong_purpose' };
  if (claims.e !== undefined && claims.e * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** Purpose and subscriber are strings, version and expiry whole numbers, the subject a string. */
function hasClaimTypes(claims: unknown): claims is TokenClaims {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return false;
  const { p, s, v, e, x } = claims as Record<string, unknown>;
  return (
    typeof p === 'string' &&
    typeof s === 'string' &&
    Number.isSafeInteger(v) &&
    (e === undefined || Number.isSafeInteger(e)) &&
    (x === undefined || typeof x === 'string')
  );
}

/**
 * Digest tokens: ONE token per delivered digest, i.e. per (subscriber, edition), shared by
 * its "view in browser" link and every 👍/👎 in it (the paper is a plain parameter and the
 * vote route checks it was in that digest). A digest carries it ~30 times, so it is short:
 * `<delivery id>.<token version>.<MAC>`, the MAC being HMAC-SHA256 over a domain-separated
 * message, truncated to 128 bits (RFC 2104 §5: still far beyond guessing). The subscriber
 * is the delivery's; the version makes the link die with every other one when the
 * subscriber's token_version is bumped. Tokens of the JSON format above never contain two
 * dots, so the two formats cannot be confused, and the MAC inputs cannot collide (a JSON
 * token MACs base64url text, which has no ':').
 */
const DIGEST_MAC_BYTES = 16;
const DELIVERY_ID = /^[A-Za-z0-9_-]{1,64}$/;

function digestMacInput(deliveryId: string, version: number): string {
  return `digest:${deliveryId}.${version}`;
}

async function digestMac(secret: string, deliveryId: string, version: number): Promise<string> {
  const mac = await hmacSha256(secret, digestMacInput(deliveryId, version));
  return base64UrlEncode(mac.subarray(0, DIGEST_MAC_BYTES));
}

export async function signDigestToken(secret: string, deliveryId: string, version: number): Promise<string> {
  if (!DELIVERY_ID.test(deliveryId)) throw new Error(`digest token: unusable delivery id ${deliveryId}`);
  return `${deliveryId}.${version}.${await digestMac(secret, deliveryId, version)}`;
}

export type DigestTokenCheck =
  | { ok: true; deliveryId: string; version: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' };

/** Whether a token has the digest-token shape (three dot-separated parts). */
export const isDigestToken = (token: string | null | undefined): boolean =>
  typeof token === 'string' && token.split('.').length === 3;

/** Verifies a digest token; the caller checks the version against the delivery's subscriber. */
export async function verifyDigestToken(
  secret: string,
  token: string | undefined | null,
): Promise<DigestTokenCheck> {
  if (!token || token.length > 256) return { ok: false, reason: 'malformed' };
  const [deliveryId, versionText, mac, extra] = token.split('.');
  if (!deliveryId || !versionText || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
  // The version exactly as signDigestToken writes it: "07" would verify as 7, a second
  // spelling of one signed token (the MAC covers the number, not the text).
  if (!DELIVERY_ID.test(deliveryId) || !/^(?:0|[1-9]\d{0,8})$/.test(versionText))
    return { ok: false, reason: 'malformed' };
  const version = Number(versionText);
  const expected = await digestMac(secret, deliveryId, version);
  if (!constantTimeEqual(mac, expected)) return { ok: false, reason: 'bad_signature' };
  return { ok: true, deliveryId, version };
}
