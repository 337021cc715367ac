/**
 * One address is one person. Sign-up stores an address as typed (trimmed, domain
 * lower-cased), but every mailbox provider that matters, listmonk and Resend's suppression
 * list all treat the local part case-insensitively too, so every comparison (the UNIQUE
 * index, lookups, suppressions, caps, imports, webhooks) goes through `emailKey`: the
 * normalised address, lower-cased. Stored addresses are ASCII (the local part is refused
 * otherwise, the domain punycoded), so SQLite's lower(email) computes the same key.
 *
 * What we keep about an address after it is gone (erasure, bounce, complaint) or to count
 * mail sent to it is `addressHash`: HMAC-SHA256 keyed by EMAIL_HASH_SECRET, so nobody can
 * confirm a guessed address from a database copy. It is computed over the hex SHA-256 of
 * the key, which is exactly what older rows stored, so those legacy rows can be re-keyed
 * in place (src/subscriptions/housekeeping.ts) without knowing the addresses behind them.
 *
 * The caps on mail people ask for (sign-up, data links) count per mailbox, not per
 * address: `mailboxKey` also drops a "+tag" and, at Gmail, the dots, because
 * victim+1@, victim+2@ … (and v.ictim@gmail.com, vi.ctim@…) are one inbox. Keyed by the
 * address alone, every spelling had its own 3 emails a day, so one form could flood one
 * inbox without limit.
 */
import { hmacSha256Hex, sha256Hex } from '../lib/crypto';
import { normalizeEmail } from './schema';

/** The comparison key of an address: normalised, then lower-cased. */
export function emailKey(email: string): string {
  return (normalizeEmail(email) ?? email.trim()).toLowerCase();
}

/** Domains that ignore dots in the local part (and are one mailbox provider). */
const DOTLESS_DOMAINS: Record<string, string> = { 'gmail.com': 'gmail.com', 'googlemail.com': 'gmail.com' };

/** The inbox an address delivers to: its key without a "+tag" and, at Gmail, without dots. */
export function mailboxKey(email: string): string {
  const key = emailKey(email);
  const at = key.lastIndexOf('@');
  let local = key.slice(0, at);
  let domain = key.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const dotless = DOTLESS_DOMAINS[domain];
  if (dotless) {
    local = local.replaceAll('.', '') || local;
    domain = dotless;
  }
  return `${local}@${domain}`;
}

/** Re-keys an unkeyed SHA-256 (what the suppression list used to store) with the secret. */
export function keyLegacyHash(secret: string, legacyHash: string): Promise<string> {
  return hmacSha256Hex(secret, legacyHash);
}

/** The keyed hash every new suppression row and every sign-up cap is stored under. */
export async function addressHash(secret: string, email: string): Promise<string> {
  return keyLegacyHash(secret, await sha256Hex(emailKey(email)));
}

/**
 * The keyed hash the per-mailbox caps are counted under (mail_requests.address_hash). For
 * an address without a tag it is addressHash, so rows recorded before stay counted.
 */
export async function mailboxHash(secret: string, email: string): Promise<string> {
  return keyLegacyHash(secret, await sha256Hex(mailboxKey(email)));
}

/**
 * Every hash under which an address may have been recorded: keyed and (until the nightly
 * re-keying has run) legacy, of the lower-cased key and of the address as typed, because
 * older rows hashed the local part with its letter case; and the keyed hash of its mailbox,
 * because a bounce or complaint about victim@ is one about victim+anything@ too (the same
 * inbox: a suppression looked up by address alone was one "+tag" away from mailing a
 * person who reported us as spam). The first entry is addressHash.
 */
export async function addressLookupHashes(secret: string, email: string): Promise<string[]> {
  const typed = normalizeEmail(email) ?? email.trim();
  const forms = [...new Set([emailKey(email), typed])];
  const legacy = await Promise.all(forms.map((form) => sha256Hex(form)));
  const keyed = await Promise.all(legacy.map((hash) => keyLegacyHash(secret, hash)));
  return [...new Set([...keyed, await mailboxHash(secret, email), ...legacy])];
}

/** The keyed hashes a bounce or complaint is recorded under: the address's, and its mailbox's. */
export async function suppressionHashes(secret: string, email: string): Promise<string[]> {
  return [...new Set([await addressHash(secret, email), await mailboxHash(secret, email)])];
}
