/**
 * The development outbox: where emails go when no RESEND_API_KEY is set, so a developer
 * can read exactly what would have been sent (HTML, text and headers) at /dev/outbox.
 */
import type { OutgoingEmail } from '../delivery/email';
import { nowIso } from '../lib/time';

export interface OutboxEmail {
  id: number;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  idempotency_key: string | null;
  created_at: string;
}

interface OutboxRow {
  id: number;
  to_addr: string;
  from_addr: string;
  subject: string;
  html: string;
  text: string;
  headers: string;
  tags: string;
  idempotency_key: string | null;
  created_at: string;
}

const fromRow = (row: OutboxRow): OutboxEmail => ({
  id: row.id,
  to: row.to_addr,
  from: row.from_addr,
  subject: row.subject,
  html: row.html,
  text: row.text,
  headers: JSON.parse(row.headers) as Record<string, string>,
  tags: JSON.parse(row.tags) as { name: string; value: string }[],
  idempotency_key: row.idempotency_key,
  created_at: row.created_at,
});

/** Inserts all emails in one batch (one transaction) and returns their ids in order. */
export async function insertOutboxEmails(
  db: D1Database,
  emails: OutgoingEmail[],
  idempotencyKey: string | null,
): Promise<number[]> {
  const createdAt = nowIso();
  const statement = db.prepare(
    `INSERT INTO outbox (to_addr, from_addr, subject, html, text, headers, tags, idempotency_key, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const results = await db.batch<{ id: number }>(
    emails.map((email) =>
      statement.bind(
        email.to,
        email.from,
        email.subject,
        email.html,
        email.text,
        JSON.stringify(email.headers ?? {}),
        JSON.stringify(email.tags ?? []),
        idempotencyKey,
        createdAt,
      ),
    ),
  );
  return results.map((result) => result.results[0]!.id);
}

export async function findOutboxByIdempotencyKey(db: D1Database, key: string): Promise<number[]> {
  const { results } = await db
    .prepare('SELECT id FROM outbox WHERE idempotency_key = ? ORDER BY id')
    .bind(key)
    .all<{ id: number }>();
  return results.map((row) => row.id);
}

export async function listOutbox(db: D1Database, limit = 200): Promise<OutboxEmail[]> {
  const { results } = await db
    .prepare('SELECT * FROM outbox ORDER BY id DESC LIMIT ?')
    .bind(limit)
    .all<OutboxRow>();
  return results.map(fromRow);
}

export async function getOutboxEmail(db: D1Database, id: number): Promise<OutboxEmail | null> {
  const row = await db.prepare('SELECT * FROM outbox WHERE id = ?').bind(id).first<OutboxRow>();
  return row ? fromRow(row) : null;
}
