/**
 * SQL for mail_requests: one row per email sent because someone asked for it (sign-up
 * confirmations, "already subscribed" notices, export/erase links). A row is reserved
 * before the email is sent by one conditional INSERT, so the per-address caps hold even
 * when sign-ups for one address race each other from many IPs; a send that fails releases
 * its row, so the owner can simply try again. Also held_signups: the newest sign-up that
 * came while its mailbox was at the cap, kept (no email) for its owner to choose on the
 * confirm page of a link they received (migrations/0027).
 */
import { nowIso } from '../lib/time';
import { deleteExpiredRows } from './chunk';

export type MailKind = 'confirm' | 'already_subscribed' | 'export' | 'erase';

export interface MailCap {
  /** Kinds counted together (a confirmation and an "already subscribed" notice are both sign-up mail). */
  kinds: readonly MailKind[];
  perDay: number;
  minGapMs: number;
}

export interface MailRequest {
  id: string;
  addressHash: string;
  kind: MailKind;
  subscriberId: string | null;
  /** Confirmation requests: the settings asked for (JSON object), applied on confirmation. */
  settings: Record<string, unknown> | null;
  createdAt: string;
  usedAt: string | null;
}

interface MailRequestRow {
  id: string;
  address_hash: string;
  kind: MailKind;
  subscriber_id: string | null;
  settings: string | null;
  created_at: string;
  used_at: string | null;
}

const toRequest = (row: MailRequestRow): MailRequest => ({
  id: row.id,
  addressHash: row.address_hash,
  kind: row.kind,
  subscriberId: row.subscriber_id,
  settings: row.settings ? (JSON.parse(row.settings) as Record<string, unknown>) : null,
  createdAt: row.created_at,
  usedAt: row.used_at,
});

/** Where the caps' 24 h start. */
const dayBefore = (now: Date) => nowIso(new Date(now.getTime() - 86_400_000));

/** A kind's own cap, and the cap on all requested mail to the mailbox, whatever its kinds. */
export interface MailLimits extends MailCap {
  mailboxPerDay: number;
}

/**
 * Records the request if the address is under its caps: fewer than `perDay` rows of the
 * cap's kinds and fewer than `mailboxPerDay` rows of any kind in the last 24 h, and none
 * of the cap's kinds within `minGapMs` (less than a day). One statement, so concurrent
 * callers cannot both slip under a cap. Null when a cap is reached.
 *
 * The three counts come from one pass over the mailbox's rows of the last 24 h, found
 * through mail_requests_address (address_hash, created_at): as the mailbox cap holds,
 * there are at most `mailboxPerDay` of them, so a reservation reads fewer rows than when
 * each kind was counted apart (up to 9, and the gap read some twice), and never the rows
 * of other mailboxes or of older days (test/db/mail-requests.test.ts checks the plan).
 * A kind is matched by its quoted name in the JSON list of the cap's kinds (the kinds are
 * plain words, migrations/0006's CHECK), which reads no table as json_each does.
 */
export async function reserveMailRequest(
  db: D1Database,
  request: Omit<MailRequest, 'createdAt' | 'usedAt'>,
  limits: MailLimits,
  now: Date,
): Promise<MailRequest | null> {
  const gapStart = nowIso(new Date(now.getTime() - limits.minGapMs));
  const row = await db
    .prepare(
      `INSERT INTO mail_requests (id, address_hash, kind, subscriber_id, settings, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6
       FROM (SELECT COUNT(*) AS total,
                    COUNT(CASE WHEN instr(?7, '"' || kind || '"') THEN 1 END) AS of_kinds,
                    MAX(CASE WHEN instr(?7, '"' || kind || '"') THEN created_at END) AS latest
             FROM mail_requests WHERE address_hash = ?2 AND created_at > ?8)
       WHERE total < ?11 AND of_kinds < ?9 AND (latest IS NULL OR latest <= ?10)
       RETURNING *`,
    )
    .bind(
      request.id,
      request.addressHash,
      request.kind,
      request.subscriberId,
      request.settings ? JSON.stringify(request.settings) : null,
      nowIso(now),
      JSON.stringify(limits.kinds),
      dayBefore(now),
      limits.perDay,
      gapStart,
      limits.mailboxPerDay,
    )
    .first<MailRequestRow>();
  return row ? toRequest(row) : null;
}

/** Gives a reservation back (its email could not be sent). */
export async function releaseMailRequest(db: D1Database, id: string): Promise<void> {
  await db.prepare('DELETE FROM mail_requests WHERE id = ?').bind(id).run();
}

export async function getMailRequest(db: D1Database, id: string): Promise<MailRequest | null> {
  const row = await db.prepare('SELECT * FROM mail_requests WHERE id = ?').bind(id).first<MailRequestRow>();
  return row ? toRequest(row) : null;
}

/**
 * A mailbox's requests of the 24 h the caps count, to tell a requester when to try again:
 * no more than the mailbox cap lets in, read through mail_requests_address.
 */
export async function recentMailRequests(
  db: D1Database,
  addressHash: string,
  now: Date,
): Promise<Pick<MailRequest, 'kind' | 'createdAt'>[]> {
  const { results } = await db
    .prepare('SELECT kind, created_at FROM mail_requests WHERE address_hash = ? AND created_at > ?')
    .bind(addressHash, dayBefore(now))
    .all<Pick<MailRequestRow, 'kind' | 'created_at'>>();
  return results.map((row) => ({ kind: row.kind, createdAt: row.created_at }));
}

export function markMailRequestUsedStatement(db: D1Database, id: string, now: string): D1PreparedStatement {
  return db.prepare('UPDATE mail_requests SET used_at = ? WHERE id = ? AND used_at IS NULL').bind(now, id);
}

/** Housekeeping: requests older than `cutoff` (ISO) have no link left that could use them. */
export async function deleteMailRequestsBefore(
  db: D1Database,
  cutoff: string,
  limit: number,
): Promise<number> {
  return deleteExpiredRows(db, 'mail_requests', cutoff, limit);
}

/** A sign-up that came while its mailbox was at the cap: its settings, waiting for the owner's choice. */
export interface HeldSignup {
  id: string;
  addressHash: string;
  subscriberId: string;
  /** As MailRequest.settings: only the settings given, plus consentMethod. */
  settings: Record<string, unknown>;
  createdAt: string;
}

interface HeldSignupRow {
  id: string;
  address_hash: string;
  subscriber_id: string;
  settings: string;
  created_at: string;
}

/** Keeps `held` as its mailbox's one held sign-up, replacing an older one. */
export async function holdSignup(db: D1Database, held: HeldSignup): Promise<void> {
  await db
    .prepare(
      `INSERT INTO held_signups (address_hash, id, subscriber_id, settings, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (address_hash) DO UPDATE SET id = ?2, subscriber_id = ?3, settings = ?4, created_at = ?5`,
    )
    .bind(held.addressHash, held.id, held.subscriberId, JSON.stringify(held.settings), held.createdAt)
    .run();
}

/** The held sign-up for this subscriber's address, if any. */
export async function getHeldSignup(db: D1Database, subscriberId: string): Promise<HeldSignup | null> {
  const row = await db
    .prepare('SELECT * FROM held_signups WHERE subscriber_id = ? ORDER BY created_at DESC LIMIT 1')
    .bind(subscriberId)
    .first<HeldSignupRow>();
  if (!row) return null;
  let settings: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.settings);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) settings = parsed as typeof settings;
  } catch {
    // An unreadable row offers nothing to choose; it goes with the housekeeping.
  }
  return {
    id: row.id,
    addressHash: row.address_hash,
    subscriberId: row.subscriber_id,
    settings,
    createdAt: row.created_at,
  };
}

/**
 * An email reserved at `reservedAt` went to the mailbox with that sign-up's settings: what
 * was held before it is superseded (one held since, by a sign-up the email capped, stays).
 */
export async function dropHeldSignupsBefore(
  db: D1Database,
  addressHash: string,
  reservedAt: string,
): Promise<void> {
  await db
    .prepare('DELETE FROM held_signups WHERE address_hash = ? AND created_at <= ?')
    .bind(addressHash, reservedAt)
    .run();
}

/** Confirmation (the owner chose) and erasure remove a subscriber's held sign-up. */
export function deleteHeldSignupsStatement(db: D1Database, subscriberId: string): D1PreparedStatement {
  return db.prepare('DELETE FROM held_signups WHERE subscriber_id = ?').bind(subscriberId);
}

/**
 * Housekeeping: held sign-ups older than `cutoff` (ISO) outlived every link that could show
 * them, and those whose pending subscriber was deleted unconfirmed have no link left at all
 * (one row a mailbox at most, so checking each is cheap).
 */
export async function deleteHeldSignupsBefore(
  db: D1Database,
  cutoff: string,
  limit: number,
): Promise<number> {
  return deleteExpiredRows(db, 'held_signups', cutoff, limit);
}
